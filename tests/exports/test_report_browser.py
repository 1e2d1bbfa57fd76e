"""The export's report.html rendered by headless Chromium (Debian's `chromium`, which `make test` installs where it is
missing): the page a person opens shows the manifest's numbers, and loads nothing from anywhere. This test fails,
never skips, when Chromium cannot run."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import Api
from tests.exports.conftest import Exports
from tests.exports.test_exports import populate


class Texts(HTMLParser):
    """The text inside each element with an id, and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.open: list[str | None] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.open.append(named.get("id"))
        if named.get("id"):
            self.by_id[str(named["id"])] = ""
        self.loads += [f"{tag} {name}={value}" for name, value in attrs if name in {"src", "href", "srcset", "data"}]
        if tag in {"script", "link", "img", "iframe", "object"}:
            self.loads.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self.open:
            if element_id:
                self.by_id[element_id] += data


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is missing: `make test` installs Debian's chromium package"
    return found


def test_the_report_shows_the_manifests_numbers_in_a_browser(api: Api, exports: Exports, tmp_path: Path) -> None:
    # Given an export of 12 accounts, one of them loosened around the service
    populate(api, 12)
    api.deps.dynamodb().update_item(
        TableName="safety-settings",
        Key={"pk": {"S": "ACCOUNT#acct-0003"}, "sk": {"S": "STATE"}},
        UpdateExpression="SET settings.gifts = :on",
        ExpressionAttributeValues={":on": {"BOOL": True}},
    )
    export_id = exports.start(history=True)
    exports.run()
    manifest = exports.get(export_id)["manifest"]
    page = tmp_path / "report.html"
    page.write_bytes(exports.object(f"exports/{export_id}/report.html"))
    # When Chromium loads it, offline, and renders it
    browser = chromium()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path}/p"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, "--window-size=1000,1800", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    # Then the page it built shows the manifest's numbers
    texts = Texts()
    texts.feed(dom)
    assert texts.by_id["export-id"] == export_id
    assert texts.by_id["accounts"] == str(manifest["accounts"]) == "12"
    assert "1 settings on 1 of 12 accounts" in texts.by_id["conformance"]
    for band, count in manifest["counts"]["by_band"].items():
        assert f"{band}{count}" in texts.by_id["by-band"].replace("\n", "")
    for place, count in manifest["counts"]["by_jurisdiction"].items():
        assert f"{place}{count}" in texts.by_id["by-jurisdiction"].replace("\n", "")
    for band, entry in manifest["defaults"].items():
        assert f"{band}{entry['all_settings']:.1%}" in texts.by_id["defaults"].replace("\n", "")
    assert "<svg" in dom and "<rect" in dom  # the charts, inline
    # And it loads nothing: no script, stylesheet, image or link to anywhere
    assert texts.loads == []
    # And it rendered: a screenshot of the page, not an empty one
    assert shot.exists() and shot.stat().st_size > 5_000
