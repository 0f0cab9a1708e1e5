"""The documentation builds with warnings as errors, and its front page leads everywhere the issue asks."""

import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

ROOT = pathlib.Path(__file__).parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    build = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-W",
        "--keep-going",
        "-d",
        str(out / ".doctrees"),
    ]
    done = subprocess.run([*build, str(ROOT / "docs"), str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


def links(page: pathlib.Path) -> set[str]:
    return set(re.findall(r'href="([^"#]+)', page.read_text()))


def test_the_front_page_links_the_api_the_notebooks_and_the_validation_pages(site):
    front = links(site / "index.html")
    assert {"generated/bayesq.fit.html", "api.html", "notebooks.html", "validation/index.html"} <= front
    assert "generated/bayesq.fit.html" in links(site / "api.html")
    notebooks = {f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks and notebooks <= links(site / "notebooks.html")
    for page in ("accuracy", "convergence", "calibration", "sbc", "extrapolation", "performance"):
        assert f"{page}.html" in links(site / "validation" / "index.html")


def test_the_notebooks_are_rendered_with_their_outputs(site):
    page = (site / "notebooks" / "quickstart.html").read_text()
    assert "<img" in page and "divergences" in page  # a figure and printed output, not just code


def test_validation_pages_show_where_each_number_comes_from(site):
    page = re.sub(r"<[^>]+>", "", (site / "validation" / "performance.html").read_text())
    assert "benchmarks/results/bench_fit.json" in page and "python benchmarks/bench_fit.py" in page
