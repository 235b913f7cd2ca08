"""Seeded databases built once per test module and copied for each test (a CLI call costs ~40 ms)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TODAY


def build(tmp_path_factory: pytest.TempPathFactory, name: str, steps: Iterable[Sequence[str]]) -> Path:
    """Run each step as `salescli --db ... --today TODAY --user dana STEP` into a fresh database."""
    from salescli.cli import app

    runner = CliRunner()
    path = tmp_path_factory.mktemp(name) / "sales.db"
    for step in steps:
        res = runner.invoke(app, ["--db", str(path), "--today", TODAY, "--user", "dana", *step],
                            catch_exceptions=False)
        assert res.exit_code == 0, (step, res.stderr)
    return path


def copy_to(template: Path, db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{db}{suffix}")
