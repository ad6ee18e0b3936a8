"""Calendar files (iCalendar, RFC 5545) for emails: one event, its text escaped and its lines folded; and time
zones by name. QBR invitations and planned changes are built with these."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone


def zone_of(name: str) -> Any:
    """The time zone of that name; UTC for a name the system does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def text(value: str) -> str:
    """A TEXT value: backslashes, semicolons, commas and line breaks escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def cn(name: str) -> str:
    """A quoted parameter value: no double quotes or control characters inside."""
    return '"' + "".join(ch for ch in name if ch != '"' and ch >= " ") + '"'


def fold(line: str) -> str:
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


@dataclass
class Event:
    """One event of a calendar file; the same ``uid`` across changes makes a calendar update it in place."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    organizer: tuple[str, str] | None = None  # (name, email)
    attendees: list[tuple[str, str]] = field(default_factory=list)  # (name, email)
    cancelled: bool = False

    def calendar(self, product: str) -> str:
        """The whole file: METHOD:REQUEST (or CANCEL), lines ended by CRLF."""
        host = settings.SITE_URL.split("//")[-1].split("/")[0] or "sam"
        method = "CANCEL" if self.cancelled else "REQUEST"
        now = timezone.now().astimezone(UTC)
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:-//SAM//{product}//EN",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            *([f"ORGANIZER;CN={cn(self.organizer[0])}:mailto:{self.organizer[1]}"] if self.organizer else []),
            *(f"ATTENDEE;CN={cn(name)};RSVP=TRUE:mailto:{email}" for name, email in self.attendees),
            *(["STATUS:CANCELLED"] if self.cancelled else []),
            f"UID:{self.uid}@{host}",
            f"SEQUENCE:{int(now.timestamp())}",
            f"DTSTAMP:{now:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{self.start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{self.end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{text(self.summary)}",
            *([f"DESCRIPTION:{text(self.description)}"] if self.description else []),
            f"LOCATION:{text(self.location)}",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        return "".join(fold(line) + "\r\n" for line in lines)
