"""A QBR in its participants' calendars: the time zone, and the iCalendar invitation or cancellation (sending
them is a service)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from qbr.models import AgendaItem, Participant, Qbr


def zone_of(name: str) -> Any:
    """The time zone of that name; UTC for a name the system does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def ics(qbr: Qbr) -> str:
    """A calendar invitation (iCalendar, METHOD:REQUEST) for the QBR's date; the same UID across changes."""
    if qbr.scheduled_at is None:
        raise ValidationError("Fix the date before sending the invitation.")
    minutes = sum(AgendaItem.objects.filter(qbr=qbr).values_list("minutes", flat=True)) or 90
    start = qbr.scheduled_at.astimezone(UTC)
    end = start + timedelta(minutes=minutes)
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "sam"

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")

    method = "CANCEL" if qbr.status == Qbr.Status.CANCELLED else "REQUEST"
    owner = qbr.account.owner

    def cn(name: str) -> str:  # a quoted parameter value: no double quotes or control characters inside
        return '"' + "".join(ch for ch in name if ch != '"' and ch >= " ") + '"'

    people = [f"ATTENDEE;CN={cn(name)};RSVP=TRUE:mailto:{email}" for name, email in participant_people(qbr)]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SAM//QBR//EN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        *([f"ORGANIZER;CN={cn(owner.display_name)}:mailto:{owner.email}"] if owner and owner.email else []),
        *people,
        *(["STATUS:CANCELLED"] if method == "CANCEL" else []),
        f"UID:qbr-{qbr.pk}@{host}",
        f"SEQUENCE:{int(timezone.now().timestamp())}",
        f"DTSTAMP:{timezone.now().astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{text(f'Business review {qbr.period_label}: {qbr.account.name}')}",
        f"LOCATION:{text(qbr.location)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)


def _fold(line: str) -> str:
    """RFC 5545 line folding: at most 75 octets a line, continued lines start with a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


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
