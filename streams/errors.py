"""The product's one exception tree.

Each error says what was wrong in words an operator can act on.
"""


class SyncError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(SyncError):
    """A setting or configuration file is missing or invalid; raised at start-up."""


class InputError(SyncError):
    """An input event cannot be used: it is dead-lettered with its coordinates (R11)."""


class DecodeError(InputError):
    """Bytes that are not a Debezium change event (bad JSON, missing envelope fields, bad op)."""


class MappingError(InputError):
    """A row that cannot be mapped to CC&B: a missing required column or an unmapped code (R14)."""
