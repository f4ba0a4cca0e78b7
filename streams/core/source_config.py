"""Which Siebel tables and columns hold each entity (config/siebel-source.toml, DESIGN §3)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from streams.errors import ConfigError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "siebel-source.toml"

ENTITIES = (
    "account",
    "contact",
    "party_link",
    "address",
    "address_link",
    "billing_profile",
    "statement_profile",
    "order",
    "order_line",
)


@dataclass(frozen=True)
class SourceConfig:
    """Physical table per entity and physical column per logical column (all lower case)."""

    tables: Mapping[str, str]
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [e for e in ENTITIES if e not in self.tables]
        if missing:
            raise ConfigError(f"siebel source config names no table for: {', '.join(missing)}")

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> SourceConfig:
        try:
            doc = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        tables = {k: str(v).lower() for k, v in doc.get("tables", {}).items()}
        columns = {
            entity: {k: str(v).lower() for k, v in cols.items()}
            for entity, cols in doc.get("columns", {}).items()
        }
        return cls(tables=tables, columns=columns)

    def entity_of(self, table: str) -> str | None:
        """The entity a physical table holds (case-insensitive), or None if not captured."""
        table = table.lower()
        for entity, name in self.tables.items():
            if name == table:
                return entity
        return None

    def column(self, entity: str, logical: str) -> str:
        return self.columns.get(entity, {}).get(logical, logical)
