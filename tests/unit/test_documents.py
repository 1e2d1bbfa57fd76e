"""The hand-built settings document (the hot path) has exactly the shape its response model documents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.api.documents import settings_document
from chalicelib.api.schemas import SettingsDocument, SignUpResponse
from chalicelib.domain.models import Account, AgeAssurance
from chalicelib.domain.settings import band_defaults
from chalicelib.policy import load_policy


@pytest.mark.parametrize("band", ["13-15", "16-17", "18+"])
def test_the_settings_document_validates_against_its_model(band: str) -> None:
    # Given an account with its band's defaults
    policy = load_policy()
    account = Account(
        account_id="u-1",
        age_band=band,
        age_assurance=AgeAssurance.SELF_DECLARED,
        policy_version=policy.version,
        version=3,
        settings=band_defaults(policy.global_rules, band),
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    # When the document is built
    document = settings_document(account, policy, date(2026, 11, 25))
    # Then it validates, strictly, as the documented models, sign-up's included
    assert SettingsDocument.model_validate(document).model_dump(mode="json") == document
    signup = {**document, "requires_parental_consent": True}
    assert SignUpResponse.model_validate(signup).model_dump(mode="json") == signup
    assert set(document["settings"]) == set(policy.settings)
