"""Small typed helpers that read settings from environment variables.

Production refuses to start when a required variable is missing, and says
which one; development and tests fall back to safe local defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class MissingSetting(RuntimeError):
    """Raised at start-up when production lacks a required variable, or has an unsafe one."""


@dataclass(frozen=True)
class Env:
    production: bool

    def string(self, name: str, dev_default: str | None = None, *, required: bool = True) -> str:
        value = os.environ.get(name)
        if value not in (None, ""):
            return value
        if self.production and required:
            raise MissingSetting(
                f"Missing required setting: the environment variable {name} must be set in production "
                f"(SAM_ENV=production). See .env.example."
            )
        return dev_default or ""

    def boolean(self, name: str, default: bool) -> bool:
        value = os.environ.get(name)
        if value in (None, ""):
            return default
        return value.strip().lower() in {"1", "true", "yes", "on"}

    def integer(self, name: str, default: int) -> int:
        value = os.environ.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise MissingSetting(f"The environment variable {name} must be a whole number, got {value!r}.") from exc

    def strings(self, name: str, dev_default: str = "", *, required: bool = True) -> list[str]:
        raw = self.string(name, dev_default, required=required)
        return [item.strip() for item in raw.split(",") if item.strip()]


def load_dotenv(path: Path) -> None:
    """Read KEY=value lines of a .env file into the environment; real variables win."""
    if not path.is_file():
        return
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        os.environ.setdefault(key.strip(), value)


def database_from_url(url: str) -> dict[str, object]:
    """Turn postgres://user:password@host:port/name?opt=v into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise MissingSetting(f"DATABASE_URL must be a postgres:// URL, got scheme {parsed.scheme!r}.")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }
