"""Make a built great-expectations Data Docs site render with no network: its CDN assets served from the site."""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "data_docs_vendor"
# Where the vendored files go inside the site, beside GX's own static/styles, fonts and images.
SITE_VENDOR = "static/vendor"

# Every CDN file the GX 1.x page templates load, and its local copy (data_docs_vendor/README.md says where each
# came from). Exact URLs on purpose: a GX upgrade that loads something new leaves it here to be found by the tests.
LOCAL_COPIES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap@4.3.1/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap@4.3.1/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js@1.12.9/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table@1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table@1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table@1.19.1/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table@1.19.0/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table@1.19.0/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker@1.9.0/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker@1.9.0/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free@6.6.0/css/all.min.css"
    ),
    # The same package's minified build of the file the template names.
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark@1.1.0/bootstrap-prefers-dark.min.css"
    ),
}
# Vega draws GX's charts (graph.j2); none of our expectations renders one, so its 1 MB is not vendored and the
# scripts are dropped from pages that never call it.
VEGA = re.compile(r'<script src="https://cdn\.jsdelivr\.net/npm/vega(?:-lite|-embed)?@\d+"></script>\s*')
# GX's logo is fetched from its own bucket with the project's id and the time in the query (a tracking pixel);
# the same images ship in the site's static/images.
GX_IMAGES = re.compile(r"https://great-expectations-web-assets\.s3\.[\w.-]+\.amazonaws\.com/([\w.-]+)[^\"')\s]*")
TAG = re.compile(r"<(?:script|link)\b[^>]*>")
# Subresource-integrity and CORS attributes make Chromium refuse a file:// script (an opaque origin).
FETCH_ATTRIBUTES = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')
EXTERNAL = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?://[^"]+)"|url\([\'"]?(https?://[^\'")]+)')

log = logging.getLogger(__name__)


def make_offline(site: Path) -> list[str]:
    """Copy the vendored assets into the site and point every page at them; return the off-machine URLs left."""
    shutil.copytree(VENDOR, site / SITE_VENDOR, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    left: set[str] = set()
    for page in site.rglob("*.html"):
        static = Path(os.path.relpath(site / "static", page.parent)).as_posix()
        html = page.read_text(encoding="utf-8")
        rewritten = _rewrite(html, static)
        if rewritten != html:
            page.write_text(rewritten, encoding="utf-8")
        left.update(network_loads(rewritten))
    if left:
        log.warning("Data Docs still load from the network (not vendored): %s", ", ".join(sorted(left)))
    return sorted(left)


def network_loads(html: str) -> list[str]:
    """The off-machine URLs a page loads as it opens (scripts, styles, images; not the links a reader may follow)."""
    return [a or b for a, b in EXTERNAL.findall(html)]


def _rewrite(html: str, static: str) -> str:
    def local(tag: re.Match) -> str:
        text = tag.group(0)
        for url, copy in LOCAL_COPIES.items():
            if f'"{url}"' in text:
                return FETCH_ATTRIBUTES.sub("", text.replace(url, f"{static}/vendor/{copy}"))
        return text

    html = TAG.sub(local, html)
    if "vegaEmbed(" not in html:
        html = VEGA.sub("", html)
    return GX_IMAGES.sub(lambda m: f"{static}/images/{_gx_image(m.group(1))}", html)


def _gx_image(name: str) -> str:
    # The dark-theme logo has no local copy; the light one stands in.
    return name if name in {"logo-long.png", "short-logo.png", "favicon.ico"} else "logo-long.png"
