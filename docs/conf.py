"""Sphinx configuration of bayesq's documentation (``./run docs`` builds it into ``docs/_build/html``)."""

import pathlib
import shutil
import sys

DOCS = pathlib.Path(__file__).parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

import bayesq  # noqa: E402

project = "bayesq"
author = "the bayesq developers"
copyright = "2026, the bayesq developers"
release = bayesq.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_copybutton",
    "matplotlib.sphinxext.plot_directive",
    "bayesq_results",
]

# The notebooks live in notebooks/ (run by the tests, refreshed by notebooks/execute.py); the site
# renders copies of them from their committed outputs and never executes them.
NOTEBOOKS = DOCS / "notebooks"
NOTEBOOKS.mkdir(exist_ok=True)
for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copyfile(notebook, NOTEBOOKS / notebook.name)
nb_execution_mode = "off"
nb_merge_streams = True

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.4, 3.6), "font.size": 10}

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
suppress_warnings = ["mystnb.unknown_mime_type"]
smartquotes_action = "qe"  # quotes and ellipses; "--help" stays two hyphens

html_theme = "pydata_sphinx_theme"
html_title = f"bayesq {release}"
html_static_path = ["_static"]
templates_path = ["_templates"]
html_css_files = ["bayesq.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # every page but the notebooks, which get the whole width for their figures, shows its contents
    "secondary_sidebar_items": {
        pattern: ["page-toc"]
        for pattern in (
            "index",
            "getting-started",
            "theory",
            "notebooks",
            "api",
            "development",
            "changelog",
            "guide/*",
            "validation/*",
            "generated/*",
        )
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "changelog": []}
