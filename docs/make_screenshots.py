"""Screenshots of kg's graph pages for the README, taken in Debian's chromium.

`make docs` runs it: docs/graph.png is graphs/kg.html with one node selected, so that the
side panel shows its facts and evidence; docs/ontology.png is the page `kg viz --ontology`
writes, whole. It drives the browser with Playwright, as tests/test_browser.py does, and downloads
nothing: it needs `pip install -e '.[test]'` and `apt-get install chromium`.

    python docs/make_screenshots.py [--page graphs/kg.html] [--select Shibuya] [--out docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from rdflib import Graph

from kg import viz
from kg.validate import ontology_path

CHROMIUM = Path("/usr/bin/chromium")
# headless, and nothing that phones home
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 860}


def open_page(browser: Browser, page_file: Path) -> Page:
    """page_file opened from disk, once its layout has settled."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(page_file.resolve().as_uri())
    page.wait_for_selector("body[data-kg-stable]", state="attached", timeout=60_000)
    return page


def select(page: Page, name: str) -> None:
    """Find name with the page's search box, then show the whole graph again."""
    page.fill("#kg-search", name)
    page.press("#kg-search", "Enter")
    page.wait_for_selector("#kg-panel h2")
    page.evaluate("window.network.fit()")
    page.wait_for_timeout(300)  # the canvas redraws on the next frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, default=Path("graphs/kg.html"))
    parser.add_argument("--select", default="Shibuya", help="the node to show in the panel")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit("needs Debian's chromium: apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        ontology_page = Path(tmp) / "ontology.html"
        viz.write_ontology_page(Graph().parse(ontology_path()), ontology_page)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for page_file, name, png in (
                (args.page, args.select, args.out / "graph.png"),
                (ontology_page, None, args.out / "ontology.png"),
            ):
                page = open_page(browser, page_file)
                if name:
                    select(page, name)
                page.screenshot(path=str(png))
                page.close()
                print(f"{page_file} -> {png}", file=sys.stderr)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
