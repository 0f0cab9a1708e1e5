"""Run the notebooks and keep their outputs: ``python notebooks/execute.py [NOTEBOOK ...]``.

Each notebook runs in its own folder with a fresh kernel; the file is
replaced only after the whole notebook ran (written to a temporary file
beside it, then renamed), so a failure leaves the old outputs in place.
The tests (``tests/test_notebooks.py``) run the same notebooks on every push.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).parent


def execute(path: pathlib.Path, timeout: int = 1200) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` and return it with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return notebook


def main(paths) -> None:
    for path in paths or sorted(HERE.glob("*.ipynb")):
        path = pathlib.Path(path)
        notebook = execute(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            nbformat.write(notebook, handle)
        os.replace(tmp, path)
        print(f"executed {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
