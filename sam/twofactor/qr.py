"""The QR code of a new key, drawn as inline SVG (nothing fetched, nothing kept)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(uri: str, *, title: str) -> SafeString:
    """The ``otpauth://`` address as a QR code an authenticator app scans: dark on white whatever the page's
    colours, with a quiet zone, named for screen readers by ``title``."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="totp-qr"
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308  (segno escapes the title)
