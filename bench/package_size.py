"""Size of the Lambda deployment package that `make package` builds: zipped MB and its top-level packages.

Measured on build/package/deployment.zip (`make bench` builds it first); sizes are compressed bytes in the zip.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.environment import REPO_ROOT

DEPLOYMENT_ZIP = REPO_ROOT / "build" / "package" / "deployment.zip"
LIMIT_MB = 10.0  # what tests/package holds it to
METADATA = "(*.dist-info, *.data)"


@dataclass(frozen=True)
class TopLevel:
    name: str
    zipped_bytes: int
    files: int


@dataclass(frozen=True)
class PackageSize:
    zipped_mb: float
    unzipped_mb: float
    top_level: tuple[TopLevel, ...]  # largest first


def measure(zip_path: Path = DEPLOYMENT_ZIP) -> PackageSize:
    sizes: dict[str, int] = defaultdict(int)
    files: dict[str, int] = defaultdict(int)
    with zipfile.ZipFile(zip_path) as deployment:
        entries = deployment.infolist()
    for entry in entries:
        top = entry.filename.split("/")[0]
        top = METADATA if top.endswith((".dist-info", ".data")) else top
        sizes[top] += entry.compress_size
        files[top] += 1
    ranked = sorted((TopLevel(name, sizes[name], files[name]) for name in sizes), key=lambda t: -t.zipped_bytes)
    return PackageSize(
        zipped_mb=zip_path.stat().st_size / 2**20,
        unzipped_mb=sum(entry.file_size for entry in entries) / 2**20,
        top_level=tuple(ranked),
    )


def report(zip_path: Path = DEPLOYMENT_ZIP) -> None:
    if not zip_path.exists():
        print(f"{zip_path.relative_to(REPO_ROOT)} is missing: run `make package` (make bench does)")
        return
    size = measure(zip_path)
    verdict = "OK" if size.zipped_mb < LIMIT_MB else "OVER"
    print(f"zipped {size.zipped_mb:.2f} MB (limit {LIMIT_MB:.0f} MB) {verdict}; unzipped {size.unzipped_mb:.2f} MB")
    bundled = sorted({"boto3", "botocore", "s3transfer"} & {top.name for top in size.top_level})
    print(f"boto3 bundled: {'yes, ' + ', '.join(bundled) + ' (Lambda provides them)' if bundled else 'no'}")
    print(f"\n{'zipped KB':>10} {'files':>6}  top-level package")
    for top in size.top_level:
        print(f"{top.zipped_bytes / 1024:10.1f} {top.files:6}  {top.name}")
