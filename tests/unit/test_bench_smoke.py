"""A smoke run of the core benchmark (bench/core.py) on a few thousand events, so it cannot rot.
It checks what the run produced, never how fast."""

from __future__ import annotations

from bench.core import measure
from bench.generate import EVENTS_PER_CUSTOMER, events


def test_the_generator_is_deterministic_and_about_ten_events_per_customer() -> None:
    first, again = list(events(50, seed=3)), list(events(50, seed=3))
    assert first == again
    assert 50 * (EVENTS_PER_CUSTOMER - 1) <= len(first) <= 50 * (EVENTS_PER_CUSTOMER + 2)


def test_the_core_benchmark_creates_every_ordered_customer_once() -> None:
    _, counts, _ = measure(300)
    assert counts["events in"] == len(list(events(300)))
    assert counts["CREATE_CUSTOMER"] == 100  # one customer in three orders
    assert counts["UPDATE_CUSTOMER"] > 0  # edits of synced customers
    assert counts["alerts"] == 0
