"""Exports requirements.txt, what Lambda installs, from uv.lock (`make requirements`; `--check` only compares).

It is the runtime dependencies without boto3 (Lambda provides it) and chalice (`chalice package` vendors its own
runtime, chalice/app.py), and without what only those two pull in (botocore, s3transfer, click, ...). Every line is
hash-pinned, so pip refuses any wheel the lock did not record.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "uv.lock"
REQUIREMENTS = ROOT / "requirements.txt"
PROJECT = "safety-settings"
NOT_SHIPPED = frozenset({"boto3", "chalice"})
HEADER = "# What Lambda installs: exported from uv.lock by `make requirements` (tools/requirements.py). Do not edit.\n"


def uv() -> str:
    beside_python = Path(sys.executable).parent / "uv"
    return str(beside_python) if beside_python.exists() else shutil.which("uv") or "uv"


def shipped_packages(lock: Mapping[str, Any]) -> set[str]:
    """The project's runtime dependencies less NOT_SHIPPED, and everything they need (markers ignored: a superset)."""
    packages = {package["name"]: package for package in lock["package"]}
    todo = [dep for dep in packages[PROJECT].get("dependencies", []) if dep["name"] not in NOT_SHIPPED]
    seen: set[tuple[str, str]] = set()  # (package, extra), "" for the package itself
    while todo:
        dep = todo.pop()
        if dep["name"] in NOT_SHIPPED:  # Lambda provides boto3 to whatever needs it (the Encryption SDK does)
            continue
        package = packages[dep["name"]]
        for extra in ("", *dep.get("extra", [])):
            if (dep["name"], extra) in seen:
                continue
            seen.add((dep["name"], extra))
            todo += package["optional-dependencies"][extra] if extra else package.get("dependencies", [])
    return {name for name, _ in seen}


def export_command(lock: Mapping[str, Any]) -> list[str]:
    left_out = sorted({package["name"] for package in lock["package"]} - shipped_packages(lock) - {PROJECT})
    return [
        uv(),
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-header",
        "--format",
        "requirements-txt",
        *_each("--no-emit-package", left_out),
    ]


def _each(flag: str, values: Iterable[str]) -> list[str]:
    return [argument for value in values for argument in (flag, value)]


def export() -> str:
    lock = tomllib.loads(LOCK.read_text())
    exported = subprocess.run(export_command(lock), cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return HEADER + exported


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if requirements.txt differs from the lock")
    args = parser.parse_args()
    exported = export()
    if args.check:
        if REQUIREMENTS.read_text() != exported:
            print("requirements.txt does not match uv.lock: run `make requirements`", file=sys.stderr)
            return 1
        return 0
    REQUIREMENTS.write_text(exported)
    return 0


if __name__ == "__main__":
    sys.exit(main())
