"""The README: its quickstart runs as a doctest, its size stays a newcomer's read, its links resolve."""

import doctest
import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
README = ROOT / "README.md"


def test_quickstart_doctest_passes():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks and all(">>>" in block for block in blocks), "README's python examples are doctests"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {}
    for number, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, globs, f"README.md example {number}", str(README), 0))
    results = runner.summarize(verbose=False)
    assert results.attempted >= 8
    assert results.failed == 0, "README's quickstart failed (see the output above)"


def test_readme_is_short():
    assert README.stat().st_size <= 15_000


def test_readme_links_resolve():
    text = README.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "README links its docs"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_license_and_changelog_exist():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
