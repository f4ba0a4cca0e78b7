"""Local table state survives a clean stop only (streams/exactly_once/local_state.py)."""

from __future__ import annotations

from pathlib import Path

from streams.exactly_once.local_state import MARKER, discard_if_unclean, mark_clean


def _stores(tabledir: Path) -> None:
    (tabledir / "hub-0.db").mkdir(parents=True)
    (tabledir / "hub-0.db" / "000013.log").write_bytes(b"an aborted write")
    (tabledir / "orders-1.db").mkdir()


def test_state_left_by_a_crash_is_discarded(tmp_path: Path) -> None:
    _stores(tmp_path)
    assert discard_if_unclean(tmp_path) is True
    assert list(tmp_path.iterdir()) == []


def test_state_of_a_clean_stop_is_kept_and_the_marker_consumed(tmp_path: Path) -> None:
    _stores(tmp_path)
    mark_clean(tmp_path)
    assert discard_if_unclean(tmp_path) is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub-0.db", "orders-1.db"]
    # the worker now runs on that state: a crash from here on must discard it
    assert discard_if_unclean(tmp_path) is True


def test_a_first_start_has_nothing_to_discard(tmp_path: Path) -> None:
    assert discard_if_unclean(tmp_path / "tables") is False
    assert discard_if_unclean(tmp_path) is False


def test_mark_clean_creates_the_table_directory(tmp_path: Path) -> None:
    mark_clean(tmp_path / "v1" / "tables")
    assert (tmp_path / "v1" / "tables" / MARKER).exists()
