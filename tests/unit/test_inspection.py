"""What the web views show (streams/inspection.py, streams/dlq_summary.py) and the metrics the
hub records (streams/metrics.py), without a worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from faust.serializers import codecs
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import metrics, page
from streams.core.codes import CodeMaps
from streams.core.reducer import HubContext
from streams.dlq_summary import summarize
from streams.errors import ConfigError
from streams.inspection import authorized, customer_view, matches, may_be_held, may_match
from streams.settings import Settings
from tests.unit.siebel_rows import complete_prospect, submit_order
from tests.unit.world import World

CTX = HubContext(codes=CodeMaps.load())


@pytest.mark.parametrize(
    ("bind", "header", "allowed"),
    [
        ("127.0.0.1", None, True),  # loopback: no token needed
        ("0.0.0.0", None, False),  # noqa: S104 - the off-loopback case under test
        ("0.0.0.0", "Bearer s3cret", True),  # noqa: S104
        ("10.1.2.3", "Bearer wrong", False),
        ("10.1.2.3", "s3cret", False),
    ],
)
def test_off_loopback_every_view_needs_the_bearer_token(
    bind: str, header: str | None, allowed: bool
) -> None:
    headers = {"Authorization": header} if header else {}
    assert authorized(headers, "s3cret", bind) is allowed


def test_a_worker_bound_off_loopback_without_a_token_does_not_start() -> None:
    with pytest.raises(ConfigError, match="SYNC_WEB_TOKEN"):
        Settings.from_env({"SYNC_WEB_BIND": "0.0.0.0"})  # noqa: S104
    settings = Settings.from_env({"SYNC_WEB_BIND": "10.1.2.3", "SYNC_WEB_TOKEN": "tok-4f9a"})
    assert settings.web_host == "10.1.2.3"  # what other workers route lookups to
    assert "tok-4f9a" not in repr(settings)


def test_the_lookup_shows_rows_sync_state_commands_and_subscriptions() -> None:
    world = World()
    acct = "1-4MS-3423"
    complete_prospect(world, acct)
    submit_order(world, acct)
    state = world.hubs[acct].to_json()
    history = [{"command_type": "CREATE_CUSTOMER", "sequence": 1}]
    view = customer_view(acct, state, history, CTX)
    assert view["known"] is True
    assert view["sync"]["synced"] is True
    assert view["sync"]["last_sequence"] == 1
    assert view["sync"]["held"] is None
    assert view["aggregate"]["account"]["row_id"] == acct
    assert view["commands"] == history
    assert view["subscriptions"]["contacts"]  # its primary contact, followed for updates
    assert customer_view("1-NOPE", None, None, CTX) == {"account_id": "1-NOPE", "known": False}


def test_search_matches_the_account_id_or_a_name_fragment() -> None:
    state = {"aggregate": {"account": {"row_id": "1-AB", "name": "Springfield Power Co"}}}
    assert matches("1-AB", state, "1-ab")
    assert matches("1-AB", state, "power")
    assert not matches("1-AB", state, "shelbyville")
    assert not matches("1-AB", state, "  ")


def test_the_dead_letter_summary_counts_by_reason_and_lists_the_latest_first() -> None:
    records = [
        {
            "kind": "DEAD_LETTER",
            "reason": "DECODE_FAILED",
            "source": {"topic": "siebel.siebel.s_contact", "partition": 2, "offset": 7},
            "at": f"2026-11-29T10:0{n}:00+00:00",
        }
        for n in range(3)
    ] + [{"kind": "ALERT", "reason": "MAPPING_FAILED", "account_id": "1-X", "source": None}]
    summary = summarize(records, latest=2)
    assert summary["total"] == 4
    assert summary["by_reason"] == {"ALERT MAPPING_FAILED": 1, "DEAD_LETTER DECODE_FAILED": 3}
    # the newest first: the alert (no input coordinates), then the last dead letter
    assert [r["input"] for r in summary["latest"]] == [None, "siebel.siebel.s_contact[2]@7"]


def test_a_command_counts_by_type_and_observes_commit_to_send_latency() -> None:
    sent = datetime(2026, 11, 29, 12, 0, 1, tzinfo=UTC)
    command = {
        "command_type": "UPDATE_CUSTOMER",
        "source": {"commit_time": sent - timedelta(milliseconds=1500), "snapshot": False},
    }
    before = {s.name: s.value for m in metrics.LATENCY.collect() for s in m.samples}
    count = before["sync_commit_to_command_seconds_count"]
    total = before["sync_commit_to_command_seconds_sum"]
    metrics.command_sent(command, now=sent)
    metrics.command_sent({**command, "source": {"commit_time": sent, "snapshot": True}}, now=sent)
    after = {s.name: s.value for m in metrics.LATENCY.collect() for s in m.samples}
    assert after["sync_commit_to_command_seconds_count"] == count + 1  # a snapshot read: none
    assert after["sync_commit_to_command_seconds_sum"] == pytest.approx(total + 1.5)
    assert metrics.COMMANDS.labels("UPDATE_CUSTOMER")._value.get() >= 2


def test_the_page_shows_a_customer_its_commands_and_escapes_what_siebel_holds() -> None:
    world = World()
    acct = "1-4MS-3423"
    complete_prospect(world, acct)
    submit_order(world, acct)
    state = world.hubs[acct].to_json()
    state["aggregate"]["account"]["name"] = "<script>alert(1)</script> Power"
    history = [{"sequence": 1, "command_type": "CREATE_CUSTOMER", "emitted_at": "2026-11-29"}]
    view = customer_view(acct, state, history, CTX)
    html = page.render(acct, [], view, {"held": {"1-H": ["the mailing address"]}}, {"total": 0})
    assert '<form method="get" action="/">' in html  # works without JavaScript
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Power" in html
    assert '<table id="commands">' in html
    assert "CREATE_CUSTOMER" in html
    assert "<h2>Held creates (1)</h2>" in html
    many = [{"account_id": "1-A", "name": "Ann"}, {"account_id": "1-B", "name": "Bob"}]
    listing = page.render("o", many, None, {}, {})
    assert '<a href="/?q=1-A">1-A</a>' in listing


# --- the raw filters of a table scan (CommittedStore.scan) ---------------------------------------


def _stored(value: object) -> bytes:
    """As faust's tables store keys and values (their json codec)."""
    return bytes(codecs.dumps("json", value))


_chars = st.characters(codec="utf-8")  # no lone surrogates: JSON cannot carry them
_names = st.text(_chars, max_size=30)


@settings(max_examples=400, deadline=None)
@given(
    account_id=st.text(_chars, min_size=1),
    name=_names,
    start=st.integers(0, 30),
    length=st.integers(0, 10),
    upper=st.booleans(),
    other=_names,
)
def test_a_search_filter_never_drops_an_entry_the_search_matches(
    account_id: str, name: str, start: int, length: int, upper: bool, other: str
) -> None:
    state = {"aggregate": {"account": {"name": name}, "contacts": {"C": {"name": other}}}}
    key, value = _stored(account_id), _stored(state)
    for text in (name[start : start + length], account_id, other, "K", "k"):
        text = text.upper() if upper else text
        if matches(account_id, state, text):
            assert may_match(text)(key, value), (text, name, account_id)


def test_a_search_filter_drops_what_cannot_match() -> None:
    key = _stored("A-1")
    value = _stored({"aggregate": {"account": {"name": "Acme Bakery"}}})
    assert may_match("bakery")(key, value)
    assert may_match("a-1")(key, value)
    assert not may_match("dairy")(key, value)
    assert not may_match("   ")(key, value)
    # the Kelvin sign lower-cases to "k": a value that is not all ASCII is always decoded
    kelvin = _stored({"aggregate": {"account": {"name": "\u212aelvin"}}})
    assert matches("A-1", {"aggregate": {"account": {"name": "\u212aelvin"}}}, "kelvin")
    assert may_match("kelvin")(key, kelvin)


@given(held=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.text(max_size=5))))
def test_the_held_filter_keeps_every_held_create_and_drops_the_rest(
    held: dict[str, str] | None,
) -> None:
    value = _stored({"aggregate": {}, "sync": {"held": held, "synced": False}})
    assert may_be_held(b'"A-1"', value) is (held is not None)
