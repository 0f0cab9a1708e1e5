"""The Python examples of the getting-started page and the user guide run as written.

Each page's ```python blocks run top to bottom in one namespace, from the
repository root, with matplotlib's Agg backend, as the README's examples do
(tests/test_readme.py). Shell commands live in ```bash blocks and are not
run. A page that reads the real data sets is skipped where they are absent.
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

# the pages whose examples read ../shared/data (or $BAYESQ_DATA)
READS_DATA = {"guide/data.md"}
# the longest first (a joint fit), so that the workers of ``pytest -n`` do not wait on it at the end
FIRST = ("guide/comparison.md",)


def _pages() -> list[str]:
    pages = [DOCS / "getting-started.md", *sorted((DOCS / "guide").glob("*.md"))]
    names = [p.relative_to(DOCS).as_posix() for p in pages if p.is_file() and BLOCK.search(p.read_text())]
    return sorted(names, key=lambda name: name not in FIRST)


PAGES = _pages()


def _data_found() -> bool:
    from bayesq.data import data_dir

    try:
        data_dir()
    except FileNotFoundError:
        return False
    return True


def test_the_pages_have_examples():
    assert {"getting-started.md", "guide/fitting.md", "guide/curves.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, monkeypatch):
    if page in READS_DATA and not _data_found():
        pytest.skip("real data not found (set BAYESQ_DATA)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(ROOT)
    path = DOCS / page
    text = path.read_text()
    namespace = {"__name__": "__docs__"}
    try:
        for match in BLOCK.finditer(text):
            # padded so that a traceback's line numbers are the page's
            source = "\n" * text.count("\n", 0, match.start(1)) + match.group(1)
            exec(compile(source, str(path), "exec"), namespace)
    finally:
        plt.close("all")
