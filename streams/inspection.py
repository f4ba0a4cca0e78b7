"""What the web views (streams/web.py) show, as plain functions: who may see them, one
account's state as the lookup answers it, and what a search matches."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from streams.core.reducer import HubContext, held_reason
from streams.core.state import CustomerState
from streams.settings import is_loopback


def authorized(headers: Mapping[str, str], token: str, bind: str) -> bool:
    """Loopback binds need no token; any other needs `Authorization: Bearer <token>`."""
    if is_loopback(bind):
        return True
    sent = headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent, f"Bearer {token}")


def customer_view(
    account_id: str,
    state: Mapping[str, Any] | None,
    history: Iterable[Any] | None,
    ctx: HubContext,
) -> dict[str, Any]:
    """What the lookup answers for one account (its hub state as stored, or None)."""
    if state is None:
        return {"account_id": account_id, "known": False}
    customer = CustomerState.from_json(state)
    sync, agg = customer.sync, customer.aggregate
    return {
        "account_id": account_id,
        "known": True,
        "sync": {
            "synced": sync.synced,
            "last_sequence": sync.sequence,
            "held": dict(sync.held) if sync.held is not None else None,
            "held_since": sync.held_since,
            "waiting_for": held_reason(customer, ctx) if sync.held is not None else [],
            "deleted": sync.deleted,
            "ccb_account_id": sync.fixed.get("ccb_account_id"),
            "ccb_person_id": sync.fixed.get("ccb_person_id"),
            "cis_division": sync.fixed.get("cis_division"),
            "alerted": dict(sync.alerted),
        },
        "aggregate": state.get("aggregate"),
        "commands": list(history or []),
        "subscriptions": {
            "contacts": sorted(agg.referenced_contacts()),
            "addresses": sorted(agg.referenced_addresses()),
        },
    }


def matches(account_id: str, state: Mapping[str, Any] | None, text: str) -> bool:
    """Search: the Siebel account id, or a fragment of the account's name (any case)."""
    needle = text.strip().lower()
    if not needle:
        return False
    if needle == account_id.lower():
        return True
    account = ((state or {}).get("aggregate") or {}).get("account") or {}
    name = str(account.get("name") or "")
    return needle in name.lower()


# What a stored hub value (faust's json codec: orjson, compact) must contain to be worth
# decoding. Each predicate may accept too much, never too little: the decoded value decides.
RawFilter = Callable[[bytes, bytes], bool]


def may_be_held(key: bytes, value: bytes) -> bool:
    """A held create is `"held": {…}` in the value; every other state has `"held": null`."""
    return b'"held":{' in value or b'"held": {' in value


def may_match(text: str) -> RawFilter:
    """`matches(account_id, state, text)` can only hold for a stored entry this accepts.

    An ASCII needle without characters JSON escapes appears as such in the lower-cased bytes
    of the key or of the value. A value that is not all ASCII is always accepted: Unicode
    lower-casing can turn a non-ASCII character into ASCII (the Kelvin sign into "k"), which
    bytes.lower() does not. Any other needle accepts everything."""
    needle = text.strip().lower()
    if not needle:
        return lambda key, value: False
    if not needle.isascii() or not needle.isprintable() or '"' in needle or "\\" in needle:
        return lambda key, value: True
    raw = needle.encode()
    return lambda key, value: raw in key.lower() or not value.isascii() or raw in value.lower()
