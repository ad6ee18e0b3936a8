"""Kinds of document, registered by the apps at start-up (no upward imports)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class DocumentKind:
    key: str
    label: str
    subject_model: type[models.Model]
    template: str  # the print layout; it includes the same partial the HTML preview shows
    context: Callable[[Any, dict[str, Any]], dict[str, Any]]  # (subject, params) -> template context
    title: Callable[[Any, dict[str, Any]], str]
    page_url: Callable[[Any, str], str]  # (subject, tenant slug) -> the page where it is requested
    # (request, subject) -> whether this member may see it, for documents narrower than "report.view"
    viewer: Callable[[Any, Any], bool] | None = None
    # A document that is not a printed page (a data export): (subject, params) -> the file's bytes, made in one
    # transaction instead of the template and WeasyPrint; with its file name's ending and content type.
    produce: Callable[[Any, dict[str, Any]], bytes] | None = None
    extension: str = "pdf"
    content_type: str = "application/pdf"


_kinds: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> None:
    _kinds[kind.key] = kind


def get(key: str) -> DocumentKind:
    return _kinds[key]


def kinds() -> list[DocumentKind]:
    """Every registered kind, in the order registered."""
    return list(_kinds.values())


def subject_label(model: type[models.Model]) -> str:
    return model._meta.label_lower
