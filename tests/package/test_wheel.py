"""What `pip install .` ships: what runs in Lambda (app.py and chalicelib/) and the operators' command line (ops/,
the `safety-settings` script), nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tools.requirements import ROOT

NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "deployments", "*.egg-info", "__pycache__", ".*_cache"
)


def shipped_sources() -> set[str]:
    packages = {
        path.relative_to(ROOT).as_posix()
        for package in ("chalicelib", "ops")
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    return {"app.py", *packages}


def test_the_project_wheel_holds_exactly_app_py_chalicelib_and_ops(tmp_path: Path) -> None:
    # Given a copy of the whole working tree: tests, devstack, infra, bench and tools included
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    # When a wheel of the project is built with the virtualenv's setuptools, offline
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet"]
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    subprocess.run([*build, "--wheel-dir", str(tmp_path / "wheels"), str(source)], env=env, check=True)
    # Then, metadata aside, it holds app.py and every file of chalicelib/ (its JSON documents too) and ops/, and
    # nothing else
    (wheel,) = (tmp_path / "wheels").glob("safety_settings-*.whl")
    files = {name for name in zipfile.ZipFile(wheel).namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert files == shipped_sources()
