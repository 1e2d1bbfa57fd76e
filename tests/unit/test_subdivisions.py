"""The committed ISO 3166-2 list (chalicelib/policy/subdivisions.json) is exactly pycountry's, and the loader refuses
an overlay for a subdivision that does not exist."""

from __future__ import annotations

import json

import pytest

from chalicelib.policy import is_subdivision_of
from tests.conftest import PROJECT_DIR
from tools.subdivisions import TARGET, from_pycountry, render


def test_the_committed_list_is_pycountrys_list() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(from_pycountry()), "run python -m tools.subdivisions"


@pytest.mark.parametrize(
    ("country", "code", "known"),
    [("US", "US-NY", True), ("US", "US-VT", True), ("GB", "GB-SCT", True), ("FR", "FR-75C", True),
     ("US", "US-XX", False), ("GB", "US-NY", False), ("US", "_source", False), ("ZZ", "ZZ-01", False)],
)  # fmt: skip
def test_a_code_is_a_subdivision_of_its_country_only(country: str, code: str, known: bool) -> None:
    assert is_subdivision_of(country, code) is known


def test_the_list_covers_the_policys_subdivision_overlays() -> None:
    raw = json.loads((PROJECT_DIR / "chalicelib" / "policy" / "subdivisions.json").read_text(encoding="utf-8"))
    assert "US-NY" in raw["US"] and len(raw) > 150
