"""The operator's HTML page at `/` (streams/web.py serves it): look a customer up by Siebel
ROW_ID or name, see its sync state and its last commands, and the held creates and dead-letter
summary. Server-rendered from the same data as the JSON views; no script, no build step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#eef}.muted{color:#667}
form input{font-size:1rem;padding:.3rem;width:20rem}form button{font-size:1rem;padding:.3rem .8rem}
"""


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = [v for v in value if v is not None]
    if value is None or value == "" or value == [] or value == {}:
        return '<span class="muted">—</span>'
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return escape(", ".join(f"{k}: {v}" for k, v in value.items()))
    return escape(str(value))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _customer(view: Mapping[str, Any]) -> str:
    if not view.get("known"):
        return f'<p id="not-found">No account {escape(str(view.get("account_id")))} here.</p>'
    sync = view["sync"]
    account = (view.get("aggregate") or {}).get("account") or {}
    facts = [
        ("Siebel account", view["account_id"]),
        ("Name", account.get("name")),
        ("Synced to CC&B", "yes" if sync["synced"] else "no"),
        ("Last sequence", sync["last_sequence"]),
        ("CC&B account / person", [sync.get("ccb_account_id"), sync.get("ccb_person_id")]),
        ("Create held since", sync.get("held_since")),
        ("Waiting for", sync.get("waiting_for")),
        ("Alerts raised", list(sync.get("alerted") or {})),
        ("Follows contacts", view["subscriptions"]["contacts"]),
        ("Follows addresses", view["subscriptions"]["addresses"]),
    ]
    commands = [
        [c.get("sequence"), c.get("command_type"), c.get("changed_sections"), c.get("emitted_at")]
        for c in view.get("commands", [])
    ]
    return (
        f"<h2>Account {escape(view['account_id'])}</h2>"
        + _table(["", "now"], facts, "state")
        + "<h3>Last commands</h3>"
        + _table(["sequence", "type", "changed sections", "sent at"], commands, "commands")
    )


def render(
    query: str,
    found: Sequence[Mapping[str, Any]],
    customer: Mapping[str, Any] | None,
    held: Mapping[str, Any],
    dlq: Mapping[str, Any],
) -> str:
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>Siebel → CC&amp;B sync</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Siebel → CC&amp;B sync</h1>",
        '<form method="get" action="/"><label for="q">Account ROW_ID or name </label>',
        f'<input id="q" name="q" value="{escape(query)}" autofocus> ',
        '<button type="submit">Look up</button></form>',
    ]
    if customer is not None:
        parts.append(_customer(customer))
    elif query:
        links = "".join(
            f'<li><a href="/?q={quote(c["account_id"])}">{escape(c["account_id"])}</a> '
            f"{_cell(c.get('name'))} · sequence {_cell(c.get('last_sequence'))}</li>"
            for c in found
        )
        parts.append(f'<h2>Matches</h2><ul id="matches">{links or "<li>none</li>"}</ul>')
    held_rows = [[acct, reasons] for acct, reasons in sorted((held.get("held") or {}).items())]
    parts.append(f"<h2>Held creates ({len(held_rows)})</h2>")
    parts.append(_table(["account", "waiting for"], held_rows, "held"))
    by_reason = [[reason, n] for reason, n in (dlq.get("by_reason") or {}).items()]
    parts.append(f"<h2>Dead letters and alerts ({dlq.get('total', 0)})</h2>")
    parts.append(_table(["kind and reason", "count"], by_reason, "dlq"))
    latest = [
        [r.get("at"), r.get("kind"), r.get("reason"), r.get("account_id"), r.get("input")]
        for r in dlq.get("latest") or []
    ]
    parts.append(_table(["at", "kind", "reason", "account", "input"], latest, "dlq-latest"))
    parts.append("</body></html>")
    return "".join(parts)
