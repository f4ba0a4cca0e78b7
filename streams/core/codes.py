"""Siebel → CC&B code maps from one versioned file (config/ccb-code-maps.toml, R14)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.errors import ConfigError, MappingError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "ccb-code-maps.toml"

MAP_NAMES = (
    "person_or_business",
    "customer_class",
    "bill_route_type",
    "bill_format",
    "autopay_source",
    "phone_type",
    "language",
    "cis_division",
    "currency",
    "bill_cycle",
)


@dataclass(frozen=True)
class CodeMap:
    name: str
    codes: Mapping[str, str]
    when_empty: str | None = None

    def lookup(self, code: str | None, *, where: str) -> str | None:
        """CC&B code for a Siebel code; `when_empty` for blanks; MappingError if unmapped."""
        if code is None or not code.strip():
            return self.when_empty
        try:
            return self.codes[code]
        except KeyError:
            raise MappingError(
                f"unmapped {self.name} code {code!r} (from {where}); add it to "
                f"[maps.{self.name}] in the code-map file"
            ) from None


@dataclass(frozen=True)
class CodeMaps:
    version: str
    maps: Mapping[str, CodeMap]

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> CodeMaps:
        try:
            doc = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read code maps {path}: {exc}") from exc
        return cls.from_doc(doc, source=str(path))

    @classmethod
    def from_doc(cls, doc: Mapping[str, object], source: str = "code maps") -> CodeMaps:
        raw_maps = doc.get("maps")
        if not isinstance(raw_maps, dict):
            raise ConfigError(f"{source}: no [maps.*] tables")
        missing = [m for m in MAP_NAMES if m not in raw_maps]
        if missing:
            raise ConfigError(f"{source}: missing maps {', '.join(missing)}")
        maps = {}
        for name, spec in raw_maps.items():
            codes = spec.get("codes", {})
            if not all(isinstance(v, str) for v in codes.values()):
                raise ConfigError(f"{source}: [maps.{name}] codes must map to strings")
            maps[name] = CodeMap(name, dict(codes), spec.get("when_empty"))
        return cls(version=str(doc.get("version", "")), maps=maps)

    def __call__(self, name: str, code: str | None, *, where: str) -> str | None:
        return self.maps[name].lookup(code, where=where)
