"""Where a benchmark's results go: a JSON file under ``benchmarks/results/`` with its provenance.

Every benchmark that reports a figure writes it with :func:`write`: the
results, the command that produced them, the commit (and whether the tree had
uncommitted changes), the date, the host (name, CPU, cores) and the versions
of Python and of the packages the figure depends on. The README and the docs
quote these files, not hand-typed copies.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import tempfile

RESULTS = pathlib.Path(__file__).parent / "results"
PACKAGES = (
    "bayesq",
    "pymc",
    "pytensor",
    "arviz",
    "arviz-stats",
    "nutpie",
    "numba",
    "llvmlite",
    "jax",
    "numpyro",
    "blackjax",
    "numpy",
    "scipy",
    "xarray",
    "opda",
    "optuna",
)


def _git(*args) -> str:
    root = pathlib.Path(__file__).parents[1]
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _cpu() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(argv=None) -> dict:
    """Command, commit, date, host and versions of this run."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    changed = [
        line for line in _git("status", "--porcelain").splitlines() if "benchmarks/results/" not in line
    ]
    argv = sys.argv if argv is None else argv
    return {
        "command": "python " + shlex.join([os.path.relpath(argv[0]), *argv[1:]]),
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(changed),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": {"name": platform.node(), "cpu": _cpu(), "cores": os.cpu_count(), "os": platform.platform()},
        "python": platform.python_version(),
        "packages": versions,
    }


def write(name: str, results, argv=None) -> pathlib.Path:
    """Write ``results`` (JSON-able) and :func:`provenance` to ``results/NAME.json``, atomically."""
    path = RESULTS / f"{name}.json"
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps({**provenance(argv), "results": results}, indent=1, default=float) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=RESULTS)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, path)
    print(f"results written to {path}")
    return path
