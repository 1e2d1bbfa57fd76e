"""Builds the Lambda deployment package from the lock (`make package`): build/package/{deployment.zip,sam.json}.

1. A wheelhouse of Lambda-platform wheels (manylinux2014 x86_64, CPython 3.11) for requirements.txt, every wheel
   checked against the lock's hashes. Cached under build/wheelhouse/ by a hash of what it was built from, so only the
   first build after a dependency change needs the network.
2. `chalice package`, offline. Chalice's packager runs `python -m pip download -r requirements.txt` (then per-package
   manylinux downloads and sdist builds for anything incompatible) in a subprocess that inherits our environment, so
   PIP_* variables pin it to the wheelhouse: no index, no pip.conf, only Lambda-platform binaries. Where Linux lets us
   (`unshare`), it runs in a network namespace of its own as well, so a stray download fails instead of succeeding.

One build at a time (a lock file under build/), so parallel test workers and a concurrent `make package` share the
wheelhouse and chalice's cache (.chalice/deployments) safely.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
REQUIREMENTS = ROOT / "requirements.txt"
DEFAULT_OUT = BUILD / "package"
# What Lambda's python3.11 x86_64 runtime (Amazon Linux 2, glibc 2.26) can load; the same tags chalice asks for.
LAMBDA_PLATFORM = {"platform": "manylinux2014_x86_64", "implementation": "cp", "python-version": "3.11", "abi": "cp311"}
# Chalice refuses to package without a region; the template depends on it only through the service principals' DNS
# suffix (amazonaws.com in every commercial region), so any configured region is kept and this one fills in.
DEFAULT_REGION = "eu-west-1"


def wheelhouse_dir(requirements: bytes) -> Path:
    key = hashlib.sha256(requirements + repr(sorted(LAMBDA_PLATFORM.items())).encode()).hexdigest()[:16]
    return BUILD / "wheelhouse" / key


def ensure_wheelhouse(requirements: Path = REQUIREMENTS) -> Path:
    """The cached wheelhouse for these requirements, downloading it (hash-checked) on first use."""
    wheelhouse = wheelhouse_dir(requirements.read_bytes())
    if wheelhouse.is_dir():
        return wheelhouse
    print(f"wheelhouse: downloading Lambda wheels for {requirements.name} into {wheelhouse.relative_to(ROOT)}")
    wheelhouse.parent.mkdir(parents=True, exist_ok=True)
    partial = wheelhouse.with_name(f".partial-{wheelhouse.name}")
    shutil.rmtree(partial, ignore_errors=True)  # what an interrupted download left (builds take turns: see below)
    platform = [f"--{option}={value}" for option, value in LAMBDA_PLATFORM.items()]
    # --no-deps: requirements.txt is already the whole closure, less boto3 (Lambda's, asked for by the Encryption SDK)
    download = ["download", "--quiet", "--require-hashes", "--no-deps", "--only-binary=:all:", *platform]
    download += ["-r", str(requirements)]
    subprocess.run([sys.executable, "-m", "pip", *download, "--dest", str(partial)], check=True)
    partial.rename(wheelhouse)  # whole or not at all: the cache never holds half a download
    return wheelhouse


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """What makes every pip that chalice starts use the wheelhouse and nothing else."""
    return {
        "PIP_CONFIG_FILE": os.devnull,  # ignore pip.conf: its index, find-links and constraints
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_ONLY_BINARY": ":all:",
        "PIP_NO_DEPS": "1",  # the requirements are the whole closure; boto3 is the runtime's
        # Chalice's first pass asks pip for this machine's platform; on macOS or arm64 the wheelhouse has none.
        **{f"PIP_{option.upper().replace('-', '_')}": value for option, value in LAMBDA_PLATFORM.items()},
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def without_network() -> list[str]:
    """A command prefix that runs in a network namespace with no interfaces, where this system allows it."""
    isolate = ["unshare", "--net", "--map-root-user"]
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run([*isolate, "true"], capture_output=True, check=False)
    return isolate if probe.returncode == 0 else []


def chalice_package(wheelhouse: Path, out: Path, env: Mapping[str, str]) -> list[str]:
    """Runs `chalice package` into `out`; returns the isolation prefix it ran under ([] if none was available)."""
    isolation = without_network()
    chalice = Path(sys.executable).parent / "chalice"
    shutil.rmtree(out, ignore_errors=True)
    command = [*isolation, str(chalice), "package", "--stage", "dev", str(out)]
    region = {} if {"AWS_REGION", "AWS_DEFAULT_REGION"} & env.keys() else {"AWS_DEFAULT_REGION": DEFAULT_REGION}
    subprocess.run(command, cwd=ROOT, env={**env, **region, **offline_pip_env(wheelhouse)}, check=True)
    return isolation


@contextmanager
def one_build_at_a_time() -> Iterator[None]:
    BUILD.mkdir(exist_ok=True)
    with (BUILD / ".package.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(out: Path = DEFAULT_OUT, env: Mapping[str, str] | None = None) -> list[str]:
    """Wheelhouse, then the offline package; returns the isolation prefix `chalice package` ran under."""
    with one_build_at_a_time():
        wheelhouse = ensure_wheelhouse()
        isolation = chalice_package(wheelhouse, out, os.environ if env is None else env)
    network = "none (own network namespace)" if isolation else "not isolated (no unshare); pip kept off the index"
    print(f"package: {out / 'deployment.zip'} and {out / 'sam.json'}; network during chalice package: {network}")
    return isolation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default build/package)")
    build(parser.parse_args().out.resolve())


if __name__ == "__main__":
    main()
