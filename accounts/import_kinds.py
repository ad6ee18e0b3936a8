"""The kinds of CSV import: each registered, in its app's ``AppConfig.ready()``, with its label, columns, row
importer, example and the page to go to once saved. ``ImportBatch.kind`` accepts only a registered kind, so the
accounts app names no kind of a higher app (scorecard values are the scorecards app's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

# importer(row, lookups, acting_user) saves one row through its service or raises ValidationError.
RowImporter = Callable[[dict[str, str], Any, Any], Any]


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    required: list[str]
    optional: list[str]
    importer: RowImporter
    example: str
    done_url: str
    permission: str = ""  # an action needed on top of "account.import" (exchange rates: the admin's)


_kinds: dict[str, ImportKind] = {}


def register_import_kind(
    key: str,
    *,
    label: str,
    required: list[str],
    optional: list[str],
    importer: RowImporter,
    example: str,
    done_url: str,
    permission: str = "",
) -> None:
    if len(key) > 12:
        raise ValueError(f"An import kind has at most 12 characters: {key!r}")
    _kinds[key] = ImportKind(key, label, required, optional, importer, example, done_url, permission)


def import_kind(key: str) -> ImportKind | None:
    return _kinds.get(key)


def import_kinds() -> list[ImportKind]:
    return list(_kinds.values())


def import_kind_label(key: str) -> str:
    known = _kinds.get(key)
    return known.label if known else key


def validate_import_kind(value: str) -> None:
    if value not in _kinds:
        raise ValidationError(f"Unknown kind of import: {value!r}.")
