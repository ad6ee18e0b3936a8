"""One clean-up for the text people type, applied as every row of the product is saved (``clean_on_save``), so
pages, the API, CSV imports and services all store the same way.

- NUL and the other control characters are removed (a NUL cannot be stored by PostgreSQL at all); tabs and
  line breaks stay in long text, and a line break in a one-line field (a name, a title) becomes a space.
- The bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed everywhere: they make
  text read differently from what it is ("Trojan Source"), e.g. a file name or an amount that appears reversed.
- Zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are removed from names and titles, where they make two
  names that look the same differ; long text keeps the joiners that some scripts and emoji need.

Forms and the API refuse a NUL before this (with a message); this is what makes every other way in safe too. A
text made only of such characters is refused (a ValidationError, a 400 with the field's name): saved as nothing
it would pass for an answer, or break a rule that the field be filled.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_LONG = re.compile(f"[{re.escape(_CONTROLS + _BIDI)}]")
_LINE = re.compile(f"[{re.escape(_CONTROLS + _BIDI + _ZERO_WIDTH)}]")
_BREAKS = re.compile(r"[\r\n\t]+")


def clean_line(value: str) -> str:
    """A name or a title: one line, nothing invisible."""
    return _LINE.sub("", _BREAKS.sub(" ", value))


def clean_long(value: str) -> str:
    """A note or a description: line breaks and tabs kept, no control or direction-changing characters."""
    return _LONG.sub("", value)


OURS = {"sam", "accounts", "scorecards", "qbr", "voc", "assessments", "dashboard", "portal", "search"}
_FIELDS: dict[type[models.Model], list[tuple[str, bool]]] = {}


def _text_fields(model: type[models.Model]) -> list[tuple[str, bool]]:
    """The model's text columns that people type into: (attribute, one line?)."""
    found = _FIELDS.get(model)
    if found is None:
        found = [
            (field.attname, not isinstance(field, models.TextField))
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField))
            and not field.choices
            and not isinstance(field, (models.EmailField, models.URLField, models.SlugField))
            and field.name not in ("password", "key_hash", "token_hash", "idempotency_key")
        ]
        _FIELDS[model] = found
    return found


def clean_on_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    """pre_save: the text of a row of the product's own apps, cleaned as above (fixtures loaded raw are not)."""
    if raw or sender._meta.app_label not in OURS:
        return
    for attname, one_line in _text_fields(sender):
        value = getattr(instance, attname)
        if isinstance(value, str) and value:
            cleaned = clean_line(value) if one_line else clean_long(value)
            if cleaned != value:
                if value.strip() and not cleaned.strip():  # "\x02" is no answer, and no title either
                    raise ValidationError({attname: "This holds only invisible or control characters: type some text."})
                setattr(instance, attname, cleaned)
