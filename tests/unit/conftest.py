"""Fixtures for the pure core: the policy in force and a fresh copy of its raw JSON to break on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.policy import Policy, load_policy, newest_version

VERSIONS = Path(__file__).resolve().parents[2] / "chalicelib" / "policy" / "versions"
POLICY_FILE = VERSIONS / f"{newest_version()}.json"


@pytest.fixture
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def raw_policy() -> dict[str, Any]:
    """The policy file as plain JSON, a new copy for every test."""
    document: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return document
