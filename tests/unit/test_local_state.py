"""Local table state of an earlier version is discarded once, unless it stopped cleanly
(streams/exactly_once/local_state.py); stores of the committed kind are always kept."""

from __future__ import annotations

from pathlib import Path

from streams.exactly_once.local_state import MARKER, OLD_CLEAN_MARKER, prepare


def _stores(tabledir: Path) -> None:
    (tabledir / "hub-0.db").mkdir(parents=True)
    (tabledir / "hub-0.db" / "000013.log").write_bytes(b"maybe an aborted write")
    (tabledir / "orders-1.db").mkdir()


def _names(tabledir: Path) -> list[str]:
    return sorted(p.name for p in tabledir.iterdir())


def test_old_state_left_by_a_crash_is_discarded_once(tmp_path: Path) -> None:
    _stores(tmp_path)
    assert prepare(tmp_path) is True
    assert _names(tmp_path) == [MARKER]
    _stores(tmp_path)  # written by this version from now on: committed state only
    assert prepare(tmp_path) is False
    assert _names(tmp_path) == [MARKER, "hub-0.db", "orders-1.db"]


def test_old_state_of_a_clean_stop_is_kept(tmp_path: Path) -> None:
    _stores(tmp_path)
    (tmp_path / OLD_CLEAN_MARKER).write_text("the last stop committed all table state\n")
    assert prepare(tmp_path) is False
    assert _names(tmp_path) == [MARKER, "hub-0.db", "orders-1.db"]


def test_a_first_start_has_nothing_to_discard_and_creates_the_directory(tmp_path: Path) -> None:
    assert prepare(tmp_path / "v1" / "tables") is False
    assert _names(tmp_path / "v1" / "tables") == [MARKER]
