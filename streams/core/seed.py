"""Bootstrap over an existing CC&B (R12): the old integration's cross-reference as seed events.

Accepts CSV with a header (`siebel_account_id[,ccb_account_id,ccb_person_id,last_sequence]`) or
JSON (a list of objects with the same fields, or of plain account ids). Seeded accounts count as
synced: an order for them creates nothing, their first full view from Siebel is an update with
sequence last_sequence + 1, and CC&B's ids travel in every command after.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from streams.core.events import Seed
from streams.errors import InputError


def parse_seed(text: str, *, fmt: str) -> list[tuple[str, Seed]]:
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"seed file is not JSON: {exc}") from exc
        rows = [{"siebel_account_id": r} if isinstance(r, str) else r for r in doc]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        raise InputError(f"unknown seed format {fmt!r}: use csv or json")
    seeds = []
    for n, row in enumerate(rows, start=1):
        account = str(row.get("siebel_account_id") or "").strip()
        if not account:
            raise InputError(f"seed record {n} has no siebel_account_id")
        try:
            sequence = int(row.get("last_sequence") or 1)
        except ValueError as exc:
            raise InputError(f"seed record {n}: last_sequence is not a number") from exc
        if sequence < 1:
            raise InputError(f"seed record {n}: last_sequence must be at least 1")
        ids = {
            k: str(row.get(k) or "").strip() or None for k in ("ccb_account_id", "ccb_person_id")
        }
        seeds.append((account, Seed(sequence, ids["ccb_account_id"], ids["ccb_person_id"])))
    accounts = [a for a, _ in seeds]
    if len(set(accounts)) != len(accounts):
        dup = sorted({a for a in accounts if accounts.count(a) > 1})
        raise InputError(f"seed file names accounts more than once: {', '.join(dup[:10])}")
    return seeds


def load_seed(path: Path) -> list[tuple[str, Seed]]:
    fmt = "json" if path.suffix.lower() == ".json" else "csv"
    return parse_seed(path.read_text(), fmt=fmt)
