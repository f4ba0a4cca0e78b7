"""The shadow diff (streams/shadow_diff.py): per account, the sequence of command types and the
final customer payload, compared between two commands topics."""

from __future__ import annotations

from typing import Any

from streams.shadow_diff import compare


def _cmd(seq: int, kind: str, customer_class: str = "RES") -> dict[str, Any]:
    return {
        "sequence": seq,
        "command_type": kind,
        "customer": {"account": {"customer_class": customer_class, "cis_division": "IL"}},
    }


HERE = {
    "1-A": [_cmd(1, "CREATE_CUSTOMER"), _cmd(2, "UPDATE_CUSTOMER")],
    "1-B": [_cmd(1, "CREATE_CUSTOMER")],
}


def test_the_same_commands_in_any_order_are_no_difference() -> None:
    there = {"1-A": list(reversed(HERE["1-A"])), "1-B": HERE["1-B"]}
    diff = compare(HERE, there)
    assert diff.clean
    assert (diff.accounts, diff.same) == (2, 2)
    assert diff.summary("prod", "shadow").endswith("no difference")


def test_a_changed_code_map_shows_in_the_final_customer_and_where() -> None:
    there = {**HERE, "1-B": [_cmd(1, "CREATE_CUSTOMER", customer_class="RESX")]}
    diff = compare(HERE, there)
    assert not diff.clean
    assert diff.different == {"1-B": "final customer differs in account.customer_class"}
    assert "DIFFERENT" in diff.summary("prod", "shadow")


def test_missing_accounts_and_other_command_sequences_are_differences() -> None:
    there = {"1-A": [_cmd(1, "CREATE_CUSTOMER")], "1-C": [_cmd(1, "CREATE_CUSTOMER")]}
    diff = compare(HERE, there)
    assert diff.different == {"1-A": "commands [C,U] vs [C]"}
    assert (diff.only_here, diff.only_there) == (["1-B"], ["1-C"])
    summary = diff.summary("prod", "shadow")
    assert "1-B: only on prod" in summary
    assert "1-C: only on shadow" in summary
