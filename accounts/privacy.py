"""A privacy request: a contact's personal data erased, and what the other apps hold of them made anonymous.

The contact row stays (the account's history and figures still count them) under a neutral name, without title,
email or phone, opted out of every mailing. Each app that keeps something of a contact registers an eraser at
start-up (no upward imports): the surveys clear the free text of the contact's answers and keep their scores, the
portal ends the contact's access. Then the values recorded for all those rows in the record of changes are
blanked (sam/history.py), so the old name and email are not kept there either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from accounts.models import Contact
from sam import history
from sam.models import User
from sam.services import audit_record

# An app's part of a request: makes its rows of the contact anonymous; answers the rows (by model) whose recorded
# values are to be blanked.
Eraser = Callable[[Contact], list[tuple[type[models.Model], list[int]]]]
_erasers: list[Eraser] = []


def register_eraser(eraser: Eraser) -> None:
    _erasers.append(eraser)


def erased_name(contact: Contact) -> str:
    return f"Erased contact {contact.pk}"


@transaction.atomic
def contact_erase(*, contact: Contact, acting_user: User | None) -> Contact:
    """Erase a contact's personal data for good (a privacy request); their scores and the account's figures stay."""
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    locked.name = erased_name(locked)
    locked.title = ""
    locked.email = ""
    locked.phone = ""
    locked.opted_out = True
    locked.save()
    blanked: list[tuple[type[models.Model], list[int]]] = [(Contact, [locked.pk])]
    for eraser in _erasers:
        blanked += eraser(locked)
    records = sum(history.erase(model, ids) for model, ids in blanked)
    audit_record(actor=acting_user, action="contact.erase", obj=locked, records_blanked=records)
    return locked


def erased(contact: Any) -> bool:
    return isinstance(contact, Contact) and contact.name == erased_name(contact) and not contact.email
