"""requirements.txt is what Lambda installs: the lock's runtime closure, hash-pinned, without boto3 or chalice."""

from __future__ import annotations

import re
import subprocess
import tomllib

from tools.requirements import LOCK, REQUIREMENTS, ROOT, export, uv

PINNED = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^ ;\\]+)", re.MULTILINE)


def locked_versions() -> dict[str, str]:
    return {package["name"]: package["version"] for package in tomllib.loads(LOCK.read_text())["package"]}


def requirements() -> dict[str, str]:
    return dict(PINNED.findall(REQUIREMENTS.read_text()))


def test_the_lock_is_up_to_date_with_pyproject() -> None:
    # Given pyproject.toml and uv.lock / When uv checks the lock without resolving anew / Then it needs no update
    check = subprocess.run([uv(), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, f"run `make lock`: {check.stderr}"


def test_requirements_txt_is_exported_from_the_lock() -> None:
    # Given the committed requirements.txt / When it is exported from uv.lock again / Then nothing has drifted
    assert REQUIREMENTS.read_text() == export(), "run `make requirements` and commit the result"


def test_requirements_pin_the_shipped_packages_at_their_locked_versions() -> None:
    # Given the lock / When requirements.txt is read / Then pydantic, its core, Powertools and PyJWT are as locked
    locked, pinned = locked_versions(), requirements()
    for name in ("pydantic", "pydantic-core", "aws-lambda-powertools", "pyjwt"):
        assert pinned[name] == locked[name]
    assert set(pinned) <= set(locked)


def test_requirements_leave_out_boto3_chalice_and_what_only_they_need() -> None:
    # Given requirements.txt / Then nothing Lambda provides (boto3 and its stack) nor chalice is installed
    assert {"boto3", "botocore", "s3transfer", "urllib3", "chalice", "click", "pip"}.isdisjoint(requirements())


def test_every_requirement_carries_hashes_so_pip_checks_each_wheel() -> None:
    # Given requirements.txt / When split into one entry per package / Then each entry has at least one sha256
    entries = re.split(r"\n(?=[a-z0-9])", REQUIREMENTS.read_text().split("\n", 1)[1].strip())
    assert entries and all("--hash=sha256:" in entry for entry in entries)
