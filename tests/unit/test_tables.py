"""The table definitions become the create_table arguments the local stack and the tests build from."""

from __future__ import annotations

from infra.tables import REPORTS, SETTINGS, IndexSpec, TableSpec


def test_the_reports_table_has_a_stream_of_both_images() -> None:
    assert REPORTS.create_table_kwargs()["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }


def test_a_table_without_a_stream_view_type_has_no_stream() -> None:
    assert "StreamSpecification" not in SETTINGS.create_table_kwargs()


def test_an_index_projects_all_attributes_unless_it_says_keys_only() -> None:
    spec = TableSpec(
        "T",
        "T_TABLE",
        "t",
        "pk",
        indexes=(IndexSpec("everything", "a"), IndexSpec("keys", "b", projection="KEYS_ONLY")),
    )

    projections = {
        index["IndexName"]: index["Projection"] for index in spec.create_table_kwargs()["GlobalSecondaryIndexes"]
    }

    assert projections == {"everything": {"ProjectionType": "ALL"}, "keys": {"ProjectionType": "KEYS_ONLY"}}
