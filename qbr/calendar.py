"""A QBR in its participants' calendars: the iCalendar invitation or cancellation (sending them is a service;
the file itself is sam.icalendar's)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError

from qbr.models import AgendaItem, Participant, Qbr
from sam.icalendar import Event


def ics(qbr: Qbr) -> str:
    """A calendar invitation (iCalendar, METHOD:REQUEST) for the QBR's date; the same UID across changes."""
    if qbr.scheduled_at is None:
        raise ValidationError("Fix the date before sending the invitation.")
    minutes = sum(AgendaItem.objects.filter(qbr=qbr).values_list("minutes", flat=True)) or 90
    owner = qbr.account.owner
    return Event(
        uid=f"qbr-{qbr.pk}",
        start=qbr.scheduled_at,
        end=qbr.scheduled_at + timedelta(minutes=minutes),
        summary=f"Business review {qbr.period_label}: {qbr.account.name}",
        location=qbr.location,
        organizer=(owner.display_name, owner.email) if owner and owner.email else None,
        attendees=participant_people(qbr),
        cancelled=qbr.status == Qbr.Status.CANCELLED,
    ).calendar("QBR")


def participant_people(qbr: Qbr) -> list[tuple[str, str]]:
    people = Participant.objects.filter(qbr=qbr).select_related("contact", "user")
    found = {}
    for p in people:
        name, email = (p.contact.name, p.contact.email) if p.contact else (p.user.display_name, p.user.email)
        if email and email.strip():
            found[email.strip().lower()] = name
    return sorted((name, email) for email, name in found.items())


def participant_emails(qbr: Qbr) -> list[str]:
    return sorted(email for _, email in participant_people(qbr))
