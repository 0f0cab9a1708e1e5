"""The validation pages' figures come from result files: the reader of docs/_ext/bayesq_results.py."""

import pathlib
import re
import sys

import pytest

DOCS = pathlib.Path(__file__).parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
results = pytest.importorskip("bayesq_results")  # needs Sphinx (the docs extra)


def test_lookup_walks_keys_indices_and_selections():
    data = {"results": {"rows": [{"backend": "c", "ms": 2.5}, {"backend": "numba", "ms": 1.0}]}}
    assert results.lookup(data, "results.rows[1].ms") == 1.0
    assert results.lookup(data, "results.rows[backend=c].ms") == 2.5
    with pytest.raises(results.ResultsError, match="0 elements with backend = jax"):
        results.lookup(data, "results.rows[backend=jax].ms")
    with pytest.raises(results.ResultsError, match="no key 'row'"):
        results.lookup(data, "results.row")


def test_a_missing_file_is_an_error_not_an_empty_table():
    with pytest.raises(results.ResultsError, match="no result file"):
        results.load("bench_that_never_ran.json")


def pages():
    return sorted((DOCS / "validation").glob("*.md"))


def references(page):
    """(file, view) of each table; (file, None) of each provenance block, inline number and figure."""
    text = page.read_text()
    found = re.findall(r"```\{results-table\} (\S+)\n:view: (\S+)", text)
    found += [(name, None) for name in re.findall(r"```\{results-provenance\} (\S+)", text)]
    found += [(name, None) for name in re.findall(r"\{result\}`(\S+) ", text)]
    found += [(name, None) for name in re.findall(r'validation_plots\.\w+\("([^"]+)"', text)]
    return found


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.stem)
def test_every_figure_of_a_validation_page_names_a_file_that_renders(page):
    refs = references(page)
    if page.stem != "index":
        assert refs, f"{page.name} shows no measured result"
    for name, view in refs:
        if view is None:
            assert results.provenance_items(name)[0] == ("file", f"benchmarks/results/{name}")
        else:
            header, rows = results.VIEWS[view](results.load(name))
            assert rows and all(len(row) == len(header) for row in rows)
    # every file a table, figure or number uses is named on the page, with how it was made
    provenance = set(re.findall(r"```\{results-provenance\} (\S+)", page.read_text()))
    assert {name for name, _ in refs} <= provenance
