"""Re-keying of Debezium changes to the owning agent, and the R12 seed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.debezium import ChangeEvent
from streams.core.events import Seed
from streams.core.routing import route
from streams.core.seed import parse_seed
from streams.core.source_config import SourceConfig
from streams.errors import InputError, MappingError
from tests.unit.world import position

CONFIG = SourceConfig.load()


def change(table: str, op: str, before: dict | None, after: dict | None) -> ChangeEvent:
    return ChangeEvent(table, op, {"row_id": "k"}, before, after, position(table))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "row", "agent", "key"),
    [
        ("s_org_ext", {"row_id": "1-A", "name": "N"}, "hub", "1-A"),
        ("s_party_per", {"row_id": "1-L", "party_id": "1-A", "person_id": "1-C"}, "hub", "1-A"),
        ("s_con_addr", {"row_id": "1-L", "accnt_id": "1-A", "addr_per_id": "1-D"}, "hub", "1-A"),
        ("s_inv_prof", {"row_id": "1-B", "accnt_id": "1-A"}, "hub", "1-A"),
        ("s_stmt_prof", {"row_id": "1-S", "accnt_id": "1-A"}, "hub", "1-A"),
        ("s_contact", {"row_id": "1-C", "last_name": "L"}, "contacts", "1-C"),
        ("s_addr_per", {"row_id": "1-D", "addr": "1 St"}, "addresses", "1-D"),
        ("s_order", {"row_id": "1-O"}, "orders", "1-O"),
        ("s_order_item", {"row_id": "1-I", "order_id": "1-O"}, "orders", "1-O"),
    ],
)
def test_each_table_goes_to_its_agent_keyed_by_its_owner(
    table: str, row: dict, agent: str, key: str
) -> None:
    (routed,) = route(change(table, "c", None, row), CONFIG)
    assert (routed.agent, routed.key, routed.row_id) == (agent, key, row["row_id"])
    assert routed.row is not None


def test_delete_is_routed_with_no_row() -> None:
    row = {"row_id": "1-B", "accnt_id": "1-A"}
    (routed,) = route(change("s_inv_prof", "d", row, None), CONFIG)
    assert (routed.key, routed.row) == ("1-A", None)


def test_moved_row_leaves_its_old_owner_and_joins_the_new() -> None:
    before = {"row_id": "1-B", "accnt_id": "1-A"}
    after = {"row_id": "1-B", "accnt_id": "1-Z"}
    old, new = route(change("s_inv_prof", "u", before, after), CONFIG)
    assert (old.key, old.row) == ("1-A", None)
    assert new.key == "1-Z"
    assert new.row is not None


def test_contact_only_address_link_goes_nowhere() -> None:
    row = {"row_id": "1-L", "contact_id": "1-C", "addr_per_id": "1-D"}
    assert route(change("s_con_addr", "c", None, row), CONFIG) == []


def test_uncaptured_table_goes_nowhere() -> None:
    assert route(change("s_evt_act", "c", None, {"row_id": "1"}), CONFIG) == []


def test_row_missing_a_required_column_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="PARTY_ID"):
        route(change("s_party_per", "c", None, {"row_id": "1-L", "person_id": "1-C"}), CONFIG)


def test_r12_seed_from_csv_and_json() -> None:
    csv_text = (
        "siebel_account_id,last_sequence,ccb_account_id,ccb_person_id\n"
        "1-A,3,0012345,P-77\n1-B,,0099,\n"
    )
    assert parse_seed(csv_text, fmt="csv") == [
        ("1-A", Seed(3, "0012345", "P-77")),
        ("1-B", Seed(1, "0099", None)),
    ]
    assert parse_seed('["1-A", {"siebel_account_id": "1-B", "last_sequence": 2}]', fmt="json") == [
        ("1-A", Seed(1)),
        ("1-B", Seed(2)),
    ]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("siebel_account_id\n\n ,\n", "csv", "record 1 has no siebel_account_id"),
        ("siebel_account_id,last_sequence\n1-A,x\n", "csv", "not a number"),
        ("siebel_account_id,last_sequence\n1-A,0\n", "csv", "at least 1"),
        ("{not json", "json", "not JSON"),
        ("", "xml", "unknown seed format"),
        ("siebel_account_id\n1-A\n1-A\n", "csv", "more than once: 1-A"),
    ],
)
def test_r12_bad_seed_files_say_which_record(text: str, fmt: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_seed(text, fmt=fmt)


def test_r12_the_seed_command_checks_the_file_without_sending_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streams import seeding

    good = tmp_path / "xref.csv"
    good.write_text("siebel_account_id,ccb_account_id,ccb_person_id\n1-A,001,P1\n1-B,002,P2\n")
    assert seeding.main([str(good)]) == 0  # no Kafka needed: nothing is sent
    assert "2 accounts to seed" in capsys.readouterr().out
    bad = tmp_path / "xref.json"
    bad.write_text('[{"ccb_account_id": "001"}]')
    assert seeding.main([str(bad)]) == 2
    assert "record 1 has no siebel_account_id" in capsys.readouterr().err
