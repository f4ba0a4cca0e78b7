"""Siebel row models: typed, tolerant of extra columns, strict about the columns the product needs.

A row from Debezium is read through the source config (physical column names) into a frozen
dataclass with the product's logical names. Values are coerced from what the JSON converter
emits for PostgreSQL and Oracle: NUMERIC as strings, DATE as days or epoch millis, flags 'Y'/'N'.
A required column that is absent or null raises MappingError naming table, row and column (R11).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self, get_type_hints

from streams.core.source_config import SourceConfig
from streams.errors import MappingError

_EPOCH = date(1970, 1, 1)


def _to_date(value: Any) -> date:
    if isinstance(value, int):
        # Debezium: DATE as days since epoch; Oracle DATE / TIMESTAMP as epoch millis or micros.
        if abs(value) < 1_000_000:
            return _EPOCH + timedelta(days=value)
        seconds = value / 1000 if abs(value) < 100_000_000_000_000 else value / 1_000_000
        return datetime.fromtimestamp(seconds, tz=UTC).date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise TypeError(f"not a date: {value!r}")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise TypeError(f"not a number: {value!r}") from exc
    if number != number.to_integral_value():
        raise TypeError(f"not a whole number: {value!r}")
    return int(number)


def _to_flag(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().upper()
    if text in ("Y", "N", ""):
        return text == "Y"
    raise TypeError(f"a Siebel flag is 'Y' or 'N', got {value!r}")


def _to_str(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError(f"not a scalar: {value!r}")
    return str(value)


_COERCE = {"str": _to_str, "int": _to_int, "bool": _to_flag, "date": _to_date}

# (row model, id of a SourceConfig) → (that config, its column plan): SiebelRow._plan
_PLANS: dict[tuple[type, int], tuple[SourceConfig, list[tuple[str, str, str, bool]]]] = {}


@dataclass(frozen=True)
class SiebelRow:
    """Base of the row models; subclasses declare ENTITY, REQUIRED and their columns as fields."""

    ENTITY: ClassVar[str]
    REQUIRED: ClassVar[frozenset[str]] = frozenset({"row_id"})

    row_id: str

    @classmethod
    @functools.cache  # per class: type hints are resolved once, not per row (a profile's top)
    def _kinds(cls) -> dict[str, str]:
        kinds = {}
        for name, hint in get_type_hints(cls).items():
            if name.isupper():
                continue
            kinds[name] = next(k for k in ("bool", "int", "date", "str") if k in str(hint))
        return kinds

    @classmethod
    def _plan(cls, config: SourceConfig) -> list[tuple[str, str, str, bool]]:
        """(field, physical column, kind, required) per field, worked out once per config."""
        cached = _PLANS.get((cls, id(config)))
        if cached is None or cached[0] is not config:  # an id may be reused after a config dies
            plan = [
                (name, config.column(cls.ENTITY, name), kind, name in cls.REQUIRED)
                for name, kind in cls._kinds().items()
            ]
            cached = _PLANS[(cls, id(config))] = (config, plan)
        return cached[1]

    @classmethod
    def _read(cls, row: Mapping[str, Any], config: SourceConfig) -> dict[str, Any]:
        """Field → coerced value of a Debezium row (keys any case), through the configured
        column names; MappingError for a required column missing or null, or a bad value."""
        lowered = {str(k).lower(): v for k, v in row.items()}

        def where() -> str:  # only for an error: the hot path never builds it
            row_id = lowered.get(config.column(cls.ENTITY, "row_id"), "?")
            return f"{config.tables[cls.ENTITY]} row {row_id}"

        values: dict[str, Any] = {}
        for name, column, kind, required in cls._plan(config):
            raw = lowered.get(column)
            if raw is None or (isinstance(raw, str) and not raw.strip()):  # Siebel stores blanks
                if required:
                    state = "missing" if column not in lowered else "null"
                    raise MappingError(f"{where()}: required column {column.upper()} is {state}")
                values[name] = False if kind == "bool" else None
                continue
            try:
                values[name] = _COERCE[kind](raw)
            except (TypeError, ValueError) as exc:
                raise MappingError(f"{where()}: column {column.upper()}: {exc}") from exc
        return values

    @classmethod
    def from_row(cls, row: Mapping[str, Any], config: SourceConfig) -> Self:
        """Read a Debezium row (keys any case) through the configured column names."""
        return cls(**cls._read(row, config))

    @classmethod
    def row_json(cls, row: Mapping[str, Any], config: SourceConfig) -> dict[str, Any]:
        """`from_row(row, config).to_json()` without the row model in between: routing needs
        only the JSON form (building the frozen dataclass was a profile's top)."""
        values = cls._read(row, config)
        for name, value in values.items():
            if isinstance(value, date):
                values[name] = value.isoformat()
        return values

    def to_json(self) -> dict[str, Any]:
        # the fields are scalars: no deep copy (dataclasses.asdict) needed
        return {
            k: v.isoformat() if isinstance(v, date) else v
            for k in self._kinds()
            for v in (getattr(self, k),)
        }

    @classmethod
    @functools.cache
    def _defaults(cls) -> dict[str, Any]:
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """A row as `to_json` wrote it. Stored state is read on every event (a profile's top),
        so the frozen dataclass's `__init__`, one `object.__setattr__` per field, is skipped
        when every field without a default is present; otherwise it runs, and says what is
        missing as it always did."""
        kinds = cls._kinds()
        values = dict(cls._defaults())
        for k, v in data.items():
            if k in kinds:
                values[k] = date.fromisoformat(v) if v is not None and kinds[k] == "date" else v
        if len(values) != len(kinds):
            return cls(**values)
        row = object.__new__(cls)
        row.__dict__.update(values)
        return row


@dataclass(frozen=True)
class Account(SiebelRow):
    ENTITY = "account"
    REQUIRED = frozenset({"row_id", "name"})

    name: str = ""
    par_row_id: str | None = None
    loc: str | None = None
    ou_num: str | None = None
    accnt_type_cd: str | None = None  # Account Class (R3)
    ou_type_cd: str | None = None  # Residential / Business
    cust_stat_cd: str | None = None
    par_ou_id: str | None = None
    pr_addr_id: str | None = None
    pr_con_id: str | None = None
    pr_bill_prfl_id: str | None = None
    main_ph_num: str | None = None
    main_email_addr: str | None = None
    tax_iden_num: str | None = None
    base_curcy_cd: str | None = None
    lang_id: str | None = None
    created: date | None = None
    last_upd: date | None = None


@dataclass(frozen=True)
class Contact(SiebelRow):
    ENTITY = "contact"
    REQUIRED = frozenset({"row_id", "last_name"})

    last_name: str = ""
    fst_name: str | None = None
    mid_name: str | None = None
    email_addr: str | None = None
    home_ph_num: str | None = None
    work_ph_num: str | None = None
    cell_ph_num: str | None = None
    fax_ph_num: str | None = None
    soc_security_num: str | None = None
    birth_dt: date | None = None
    pref_lang_id: str | None = None
    pr_per_addr_id: str | None = None
    pr_dept_ou_id: str | None = None


@dataclass(frozen=True)
class PartyLink(SiebelRow):
    """S_PARTY_PER: a contact linked to an account (PARTY_ID is the account's PAR_ROW_ID)."""

    ENTITY = "party_link"
    REQUIRED = frozenset({"row_id", "party_id", "person_id"})

    party_id: str = ""
    person_id: str = ""
    rel_type_cd: str | None = None
    start_dt: date | None = None
    end_dt: date | None = None


@dataclass(frozen=True)
class Address(SiebelRow):
    ENTITY = "address"
    REQUIRED = frozenset({"row_id", "addr"})

    addr: str = ""
    addr_line_2: str | None = None
    addr_line_3: str | None = None
    city: str | None = None
    county: str | None = None
    state: str | None = None
    zipcode: str | None = None
    country: str | None = None
    addr_type_cd: str | None = None


@dataclass(frozen=True)
class AddressLink(SiebelRow):
    """S_CON_ADDR: an address used by an account (ACCNT_ID) and/or a contact (CONTACT_ID)."""

    ENTITY = "address_link"
    REQUIRED = frozenset({"row_id", "addr_per_id"})

    addr_per_id: str = ""
    accnt_id: str | None = None
    contact_id: str | None = None
    main_addr_flg: bool = False
    bill_addr_flg: bool = False
    start_dt: date | None = None
    end_dt: date | None = None


@dataclass(frozen=True)
class BillingProfile(SiebelRow):
    ENTITY = "billing_profile"
    REQUIRED = frozenset({"row_id", "accnt_id"})

    accnt_id: str = ""
    name: str | None = None
    primary_flg: bool = False
    status_cd: str | None = None
    pay_method: str | None = None
    bill_freq: str | None = None
    bill_cycle: str | None = None
    bill_media: str | None = None
    bill_type: str | None = None
    email_bill_to: str | None = None
    contact_id: str | None = None
    addr_id: str | None = None
    budget_bill_flg: bool = False
    pay_holder_name: str | None = None
    pay_token: str | None = None
    pay_issuer: str | None = None


@dataclass(frozen=True)
class StatementProfile(SiebelRow):
    ENTITY = "statement_profile"
    REQUIRED = frozenset({"row_id", "accnt_id"})

    accnt_id: str = ""
    contact_id: str | None = None
    addr_id: str | None = None
    copies: int | None = None
    bill_media: str | None = None
    bill_type: str | None = None
    email_bill_to: str | None = None
    language: str | None = None
    vendor: str | None = None


@dataclass(frozen=True)
class Order(SiebelRow):
    ENTITY = "order"
    REQUIRED = frozenset({"row_id"})

    order_num: str | None = None
    rev_num: int | None = None
    status_cd: str | None = None
    accnt_id: str | None = None
    bill_accnt_id: str | None = None
    serv_accnt_id: str | None = None
    bill_profile_id: str | None = None


@dataclass(frozen=True)
class OrderLine(SiebelRow):
    ENTITY = "order_line"
    REQUIRED = frozenset({"row_id", "order_id"})

    order_id: str = ""
    ln_num: int | None = None
    prod_id: str | None = None
    action_cd: str | None = None
    status_cd: str | None = None
    bill_accnt_id: str | None = None
    serv_accnt_id: str | None = None
    bill_profile_id: str | None = None
    root_order_item_id: str | None = None


MODELS: dict[str, type[SiebelRow]] = {
    m.ENTITY: m
    for m in (
        Account,
        Contact,
        PartyLink,
        Address,
        AddressLink,
        BillingProfile,
        StatementProfile,
        Order,
        OrderLine,
    )
}
