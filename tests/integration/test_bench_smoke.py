"""A smoke run of `make bench` (bench/run.py) on a few hundred customers, so the Kafka half of the
benchmark cannot rot either. It checks what the run produced, never how fast."""

from __future__ import annotations

import re

import pytest

from bench import end_to_end, framework, recovery, run

pytestmark = pytest.mark.integration


def test_the_benchmark_prints_three_figures_a_latency_and_the_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--customers", "150", "--latency-seconds", "8", "--warm-up-seconds", "2"]
    assert run.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    text = "\n".join(lines)
    for figure in ("(c) core alone", "(b) plain loop", "(a) Faust worker"):
        pattern = rf"{re.escape(figure)}: +\d+ events in [\d.]+ s = [\d,]+ events/s"
        assert re.search(pattern, text), text
    figures = r"^\((a|b)\) (?:plain loop|Faust worker):.*\((\d+) commands"
    commands = {m[0]: int(m[1]) for m in re.findall(figures, text, re.M)}
    # at least a create for each of the 50 ordered customers (the order events arrive in, across
    # topics, decides how many updates are coalesced)
    assert min(commands["a"], commands["b"]) >= 50, text
    figures = r"p50 [\d,]+ ms, p99 [\d,]+ ms"
    after = r"\((\d+) commands after a 2 s warm-up; with it: "
    found = re.search(rf"commit to command {figures} {after}{figures}\)", text)
    assert found, text
    assert int(found[1]) > 0, text
    assert re.fullmatch(r"\(a\)/\(b\) = \d+\.\d\d", lines[-1]), lines[-1]


def test_the_recovery_benchmark_times_an_empty_store_and_a_start_after_a_crash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert recovery.main(["--customers", "500", "--static-member"]) == 0
    text = capsys.readouterr().out
    written = re.search(r"changelogs: ([\d,]+) records for 500 customers", text)
    assert written, text
    start = r"ready in [\d.]+ s: [\d.]+ s joining the group, [\d.]+ s recovering"
    restored = r" \(([\d,]+) records restored with librdkafka\)"
    empty = re.search(rf"^empty local store: {start}{restored}", text, re.M)
    assert empty, text
    # every changelog record was read by the restore, none left to faust's slower path; after
    # the crash the store has them all
    assert empty[1] == written[1], text
    assert re.search(rf"^after a crash: +{start} \(0 records", text, re.M), text


def test_the_end_to_end_benchmark_goes_through_postgresql_and_debezium(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--customers", "100", "--latency-seconds", "8", "--warm-up-seconds", "2"]
    assert end_to_end.main(argv) == 0
    text = capsys.readouterr().out
    figure = r"end to end \(PostgreSQL → Debezium → Faust worker, exactly-once\): (\d+) row "
    figure += r"changes in [\d.]+ s = [\d,]+ events/s \((\d+) commands\)"
    found = re.search(figure, text)
    assert found, text
    # every change was written, and at least the 34 ordered customers were created
    assert int(found[1]) >= 900, text
    assert int(found[2]) >= 34, text
    latency = r"end to end latency at 20 changes/s for \d+ s: Siebel commit to command "
    latency += r"p50 [\d,]+ ms, p99 [\d,]+ ms \((\d+) commands after a 2 s warm-up"
    found = re.search(latency, text)
    assert found, text
    assert int(found[1]) > 0, text


def test_the_framework_benchmark_prints_each_path_and_the_ceiling_of_a(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert framework.main(["--customers", "40"]) == 0
    text = capsys.readouterr().out
    found = re.search(r"^(\d+) records; \(a\) moves ([\d.]+) records in and ([\d.]+) out", text)
    assert found, text
    assert int(found[1]) > 300, text
    # a source event is consumed, then its internal events (most make a hub event); each
    # internal event is also a table write, so more records go out than come in
    assert 2.0 < float(found[2]) < 4.0, text
    assert float(found[3]) > float(found[2]), text
    paths = [
        "plain transactional loop",
        "faust forward, exactly_once",
        "faust forward + table, exactly_once",
        "faust forward, at_least_once",
        "faust forward + table, at_least_once",
        "faust forward, at_least_once, faust's own App",
    ]
    for path in paths:  # each finished: it forwarded every record within its time limit
        assert re.search(rf"^{re.escape(path)}: +[\d,]+ records/s$", text, re.M), text
    assert re.search(
        r"^\(a\) ceiling from faust's own path, exactly-once: [\d,]+ events/s", text, re.M
    )
