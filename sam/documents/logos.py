"""What a tenant may upload as its logo: small PNG, JPEG or SVG, recognised by content, not by name."""

from __future__ import annotations

MAX_LOGO_BYTES = 256 * 1024


def logo_type(data: bytes) -> str:
    """The MIME type of an acceptable logo, or "" when it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048].lower()):
        return "image/svg+xml"
    return ""
