"""HTML to PDF with WeasyPrint, fetching nothing but our own static files and data: URIs.

User-entered text reaches the HTML only through autoescaped templates; the
URL fetcher below is the second wall: no network, no file:// paths, no
redirects, no attachments from anywhere else.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Templates use {% static %} paths ("/static/..."); they resolve against this base.
BASE_URL = "https://sam-static.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


class FetchRefused(Exception):
    """A resource outside the project's own static files was asked for."""


class StaticOnlyFetcher(URLFetcher):
    def __init__(self) -> None:
        super().__init__(timeout=1, allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            relative = url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0]
            path = static_file(relative)
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
        self.refused.append(url[:200])
        raise FetchRefused(f"Only the product's own static files may be used in a document: {url[:200]}")


def static_file(relative: str) -> Path | None:
    """A file of the project's static files: collected (hashed names in production) or found in the sources."""
    if not relative or relative.startswith("/") or ".." in relative.split("/") or "\\" in relative:
        return None
    root = Path(settings.STATIC_ROOT).resolve()
    collected = (root / relative).resolve()
    if collected.is_relative_to(root) and collected.is_file():
        return collected
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        return None
    return Path(found) if found else None


def html_to_pdf(html: str) -> tuple[bytes, int, list[str]]:
    """Render; returns the PDF, its page count and the URLs that were refused."""
    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    pdf = document.write_pdf()
    return pdf, len(document.pages), fetcher.refused
