"""Screenshots of the built site in headless Chromium, to look at what a reader sees.

Run after ``./run docs``: ``python docs/screenshots.py [PAGE ...] [--out DIR]``, where a PAGE is a
path under ``docs/_build/html`` (default: every page of the site). Needs a Chromium
(``chromium``, ``chromium-browser`` or ``google-chrome`` on PATH, or ``$CHROMIUM``); writes one PNG
per page to ``--out`` (default ``docs/_build/screenshots``).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HTML = pathlib.Path(os.environ.get("BAYESQ_DOCS_HTML", pathlib.Path(__file__).parent / "_build" / "html"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=4000",  # let MathJax typeset before the shot
]


def chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("screenshots.py: no Chromium found (install Debian's chromium, or set $CHROMIUM)")


def shoot(browser: str, page: pathlib.Path, out: pathlib.Path, width: int, height: int) -> pathlib.Path:
    target = out / (str(page.relative_to(HTML)).replace("/", "__").removesuffix(".html") + ".png")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={target}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages under docs/_build/html (default: all)")
    parser.add_argument("--out", type=pathlib.Path, default=HTML.parent / "screenshots")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    if not (HTML / "index.html").is_file():
        sys.exit("screenshots.py: build the site first (./run docs)")
    pages = [HTML / p for p in args.pages] or sorted(
        p for p in HTML.rglob("*.html") if not {"_modules", "_sources", "_static"} & set(p.parts)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    for page in pages:
        print(shoot(browser, page, args.out, args.width, args.height))


if __name__ == "__main__":
    main()
