"""The deployer as CodeBuild installs it: one wheel, built reproducibly, plus its hash-pinned lock file.

    .venv/bin/python scripts/deployer_dist.py wheel       # dist/<wheel> and dist/requirements.lock
    .venv/bin/python scripts/deployer_dist.py wheelhouse  # .build/wheelhouse/: the locked dependency wheels

The wheel is built without build isolation from a clean build directory with SOURCE_DATE_EPOCH fixed, so the
same sources give the same bytes (and so the same sha256, the same S3 key, nothing new to upload). The
wheelhouse is what `deployer_dependencies = "bundled"` uploads for builds without internet access: the files
of the lock for CPython 3.11 on linux x86_64 and aarch64, each checked against the lock's hashes by pip.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "python" / "deployer"
LOCK = PACKAGE / "requirements.lock"
DIST = REPO / "dist"
WHEELHOUSE = REPO / ".build" / "wheelhouse"
LOCK_NAME = "requirements.lock"
INDEX_URL = "https://pypi.org/simple"
PLATFORMS = ("manylinux2014_x86_64", "manylinux2014_aarch64")
# 1980-01-01, the earliest time a zip entry can carry: the wheel's bytes do not depend on when it was built.
SOURCE_DATE_EPOCH = "315532800"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean() -> None:
    """Stale files in build/ would end up in the wheel."""
    shutil.rmtree(PACKAGE / "build", ignore_errors=True)


def build_wheel(out: Path = DIST, python: str = sys.executable) -> Path:
    """Build the deployer wheel into `out` (its older wheels removed), copy the lock beside it; returns the wheel."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        old.unlink()
    _clean()
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONHASHSEED": "0"}
    subprocess.run(
        [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(out), str(PACKAGE)],
        check=True, env=env, cwd=REPO,
    )  # fmt: skip
    _clean()
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {out}, found {[w.name for w in wheels]}")
    shutil.copyfile(LOCK, out / LOCK_NAME)
    return wheels[0]


def ensure_wheelhouse(dest: Path = WHEELHOUSE, lock: Path = LOCK, python: str = sys.executable) -> Path:
    """Download the locked wheels from PyPI into `dest` once per lock (pip checks every hash); returns `dest`."""
    stamp = dest / f".lock-sha256-{sha256(lock)}"
    if stamp.exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for platform in PLATFORMS:
        log.info("downloading the locked wheels for %s into %s", platform, dest)
        subprocess.run(
            [python, "-m", "pip", "--isolated", "download", "--quiet", "--require-hashes", "--no-deps",
             "--only-binary=:all:", "--platform", platform, "--python-version", "3.11", "--implementation", "cp",
             "--index-url", INDEX_URL, "--dest", str(dest), "--requirement", str(lock)],
            check=True,
        )  # fmt: skip
    stamp.touch()
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("wheel", "wheelhouse"))
    parser.add_argument("--out", type=Path, help=f"output directory (default {DIST} or {WHEELHOUSE})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.what == "wheel":
        wheel = build_wheel(args.out or DIST)
        print(f"{wheel}\n  sha256 {sha256(wheel)}\n{wheel.parent / LOCK_NAME}\n  sha256 {sha256(LOCK)}")
    else:
        dest = ensure_wheelhouse(args.out or WHEELHOUSE)
        print("\n".join(str(p) for p in sorted(dest.glob("*.whl"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
