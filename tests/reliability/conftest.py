"""Fixtures of the reliability suite: a sandbox per test, and seeded databases built once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability.harness import Sandbox

CRM_STEPS: list[list[str]] = [
    ["company", "add", "Acme Robotics", "--domain", "acme-robotics.io", "--segment", "enterprise"],
    ["company", "add", "Initech", "--domain", "initech.com"],
    ["contact", "add", "Ana Silva", "--email", "ana@acme-robotics.io", "--company", "Acme Robotics",
     "--phone", "+351 555 0100"],
    ["deal", "add", "Acme renewal", "--amount", "12k", "--currency", "EUR", "--company", "Acme Robotics",
     "--contact", "ana@acme-robotics.io", "--stage", "Qualification", "--close", "2026-12-15"],
    ["deal", "add", "Initech pilot", "--amount", "5000", "--company", "Initech"],
    ["activity", "log", "call", "Pricing questions", "--deal", "1"],
]


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path / "sandbox")


@pytest.fixture(scope="module")
def crm_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CRM (2 companies, 1 contact, 2 deals, 1 activity), built once per module."""
    box = Sandbox(tmp_path_factory.mktemp("crm-template"))
    return box.seed(CRM_STEPS)


def copy_db(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{target}{suffix}")
            Path(f"{target}{suffix}").chmod(0o600)
    return target


@pytest.fixture
def crm(sandbox: Sandbox, crm_template: Path) -> Sandbox:
    """A sandbox whose database holds the small CRM."""
    copy_db(crm_template, sandbox.db)
    return sandbox
