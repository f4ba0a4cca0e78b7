"""Siebel row models: tolerant of extra columns, strict about required ones, configurable names."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core.siebel import MODELS, Account, BillingProfile, Contact, OrderLine
from streams.core.source_config import SourceConfig
from streams.errors import ConfigError, MappingError

CONFIG = SourceConfig.load()


def test_every_entity_has_a_model_and_a_table() -> None:
    assert set(MODELS) == set(CONFIG.tables)


def test_extra_columns_from_schema_drift_are_ignored() -> None:
    row = {"row_id": "1-A", "name": "N", "x_new_column": "whatever", "db_last_upd_src": "EIM"}
    assert Account.from_row(row, CONFIG).name == "N"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"row_id": "1-A"}, r"s_org_ext row 1-A: required column NAME is missing"),
        ({"row_id": "1-A", "name": None}, r"required column NAME is null"),
        ({"row_id": "1-A", "name": "   "}, r"required column NAME is null"),
        ({"name": "N"}, r"s_org_ext row \?: required column ROW_ID is missing"),
    ],
)
def test_missing_required_column_is_a_mapping_error_naming_it(row: dict, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        Account.from_row(row, CONFIG)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (19_703, date(2023, 12, 12)),
        (1_702_339_200_000, date(2023, 12, 12)),
        (1_702_339_200_000_000, date(2023, 12, 12)),
        ("2023-12-12", date(2023, 12, 12)),
        ("2023-12-12T10:00:00Z", date(2023, 12, 12)),
    ],
    ids=["pg days", "oracle millis", "micros", "iso date", "iso timestamp"],
)
def test_dates_in_every_debezium_representation(raw: object, expected: date) -> None:
    assert Contact.from_row(
        {"row_id": "1", "last_name": "L", "birth_dt": raw}, CONFIG
    ).birth_dt == (expected)


def test_numeric_strings_flags_and_blanks_are_coerced() -> None:
    line = OrderLine.from_row({"row_id": "1", "order_id": "2", "ln_num": "3"}, CONFIG)
    assert line.ln_num == 3
    profile = BillingProfile.from_row(
        {"row_id": "1", "accnt_id": "A", "primary_flg": "Y", "budget_bill_flg": "N", "name": " "},
        CONFIG,
    )
    assert profile.primary_flg is True
    assert profile.budget_bill_flg is False
    assert profile.name is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"row_id": "1", "order_id": "2", "ln_num": "3.5"}, "LN_NUM: not a whole number"),
        ({"row_id": "1", "order_id": "2", "ln_num": "three"}, "LN_NUM: not a number"),
    ],
)
def test_bad_values_name_the_column(row: dict, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        OrderLine.from_row(row, CONFIG)


def test_bad_flag_names_the_column() -> None:
    with pytest.raises(MappingError, match="PRIMARY_FLG: a Siebel flag"):
        BillingProfile.from_row({"row_id": "1", "accnt_id": "A", "primary_flg": "maybe"}, CONFIG)


def test_configured_column_names_are_read(tmp_path: Path) -> None:
    cfg_file = tmp_path / "source.toml"
    tables = "\n".join(f'{e} = "{t}"' for e, t in CONFIG.tables.items())
    cfg_file.write_text(
        f'[tables]\n{tables}\n[columns.billing_profile]\nprimary_flg = "X_PRIMARY_FLG"\n'
    )
    config = SourceConfig.load(cfg_file)
    row = {"ROW_ID": "1", "ACCNT_ID": "A", "X_PRIMARY_FLG": "Y", "PRIMARY_FLG": "N"}
    assert BillingProfile.from_row(row, config).primary_flg is True


def test_source_config_must_name_every_table(tmp_path: Path) -> None:
    cfg_file = tmp_path / "source.toml"
    cfg_file.write_text('[tables]\naccount = "s_org_ext"\n')
    with pytest.raises(ConfigError, match="no table for: contact"):
        SourceConfig.load(cfg_file)


def test_entity_lookup_is_case_insensitive() -> None:
    assert CONFIG.entity_of("S_ORG_EXT") == "account"
    assert CONFIG.entity_of("s_unknown") is None


@pytest.mark.parametrize("model", sorted(MODELS))
def test_json_round_trip(model: str) -> None:
    cls = MODELS[model]
    row = dict.fromkeys(cls._kinds()) | {"row_id": "1-R"}
    for name in cls.REQUIRED:
        row[name] = "x"
    instance = cls.from_row(row, CONFIG)
    assert cls.from_json(instance.to_json()) == instance


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_stored_row_reads_back_as_the_constructor_builds_it(model: str) -> None:
    cls = MODELS[model]
    built = cls(row_id="1-R", **{n: "x" for n in cls.REQUIRED if n != "row_id"})
    read = cls.from_json({"row_id": "1-R", **{n: "x" for n in cls.REQUIRED if n != "row_id"}})
    assert read == built  # fields left out take their defaults
    assert hash(read) == hash(built)
    with pytest.raises(FrozenInstanceError):
        read.row_id = "2-R"  # type: ignore[misc]
    with pytest.raises(TypeError, match="row_id"):
        cls.from_json({})  # a required field missing still fails as the constructor does


def test_an_aggregate_changed_by_a_row_answers_its_views_anew() -> None:
    from streams.core.aggregate import Aggregate
    from streams.core.siebel import StatementProfile

    first = StatementProfile(row_id="S-2", accnt_id="A", contact_id="C-2")
    agg = Aggregate().with_owned("statement_profile", "S-2", first)
    assert agg.rows("statement_profile") == [first]
    assert agg.referenced_contacts() == {"C-2"}
    again = agg.with_owned(
        "statement_profile", "S-1", StatementProfile(row_id="S-1", accnt_id="A", contact_id="C-1")
    )
    assert [s.row_id for s in again.rows("statement_profile")] == ["S-1", "S-2"]
    assert again.referenced_contacts() == {"C-1", "C-2"}
    assert agg.rows("statement_profile") == [first]  # the earlier aggregate is unchanged
    assert again == Aggregate.from_json(again.to_json())  # the cache is not part of its value


# what a Debezium row's column may hold: the JSON converter's scalars, blanks and junk
_RAW = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["", " ", "Y", "N", "y", "x", "12", "12.0", "1.5", "2024-03-01", "1-ABC"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=1),
)


@settings(max_examples=400, deadline=None)
@given(
    model=st.sampled_from(sorted(MODELS)),
    data=st.data(),
)
def test_routing_reads_a_row_exactly_as_the_row_model_writes_it(model: str, data: Any) -> None:
    """`row_json` (routing's shortcut) is `from_row(...).to_json()`: the same JSON, or the same
    MappingError, for any row."""
    cls = MODELS[model]
    row: dict[str, Any] = {}
    for f in fields(cls):
        # a required column is usually there and valid, so that most rows get past it
        if f.name in cls.REQUIRED:
            value = data.draw(st.one_of(st.just("1-REQ"), st.just("1-REQ"), _RAW))
        elif data.draw(st.booleans()):
            value = data.draw(_RAW)
        else:
            continue
        row[f.name.upper() if data.draw(st.booleans()) else f.name] = value
    row["UNRELATED_COLUMN"] = "schema drift"
    try:
        expected: Any = cls.from_row(row, CONFIG).to_json()
    except MappingError as exc:
        expected = ("error", str(exc))
    try:
        got: Any = cls.row_json(row, CONFIG)
    except MappingError as exc:
        got = ("error", str(exc))
    assert got == expected
    if not isinstance(got, tuple):
        assert list(got) == list(expected)  # the same key order: stored bytes stay the same
