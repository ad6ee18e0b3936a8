"""`make check-fresh`: the README's two first lines, proved on a machine like a newcomer's.

Clones the repository's committed HEAD into a temporary folder, points the PostgreSQL and Redis addresses at
ports where nothing listens (so the embedded servers are taken, as on a machine with neither installed), runs
`make run` there until the login page answers and a demo login reaches the dashboard, stops it with Ctrl-C
(SIGINT to its process group) and checks that nothing of it is left running or listening. Then it starts it
a second time, to show the data was kept and how long a start takes once installed, and stops it again.

    .venv/bin/python scripts/check_fresh.py [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIRST_START_TIMEOUT = 25 * 60  # a new virtualenv installs every dependency first
LOGIN = ("am@northwind.example", "demo-pass-2026")
CLEARED = {
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "POSTGRES_ADMIN_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "VIRTUAL_ENV",
    "SITE_URL",
    "HOST",
    "PORT",
    "DJANGO_SETTINGS_MODULE",
    "MAKEFLAGS",
    "MAKELEVEL",
}


class Failed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def leftovers(folder: Path) -> list[str]:
    """Processes whose command line or working directory lies in ``folder``."""
    found = []
    needle = str(folder).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd").encode()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z" and (needle in cmdline or cwd.startswith(needle)):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
            found.append(f"{entry.name}: {command}")
    return found


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start(
    clone: Path, env: dict[str, str], log: Path, port: int, timeout: float
) -> tuple[subprocess.Popen[bytes], float]:
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped below as Ctrl-C would
        )
    url = f"http://127.0.0.1:{port}/auth/login/"
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise Failed(f"`make run` stopped (exit {process.returncode}) before answering:\n{tail(log)}")
        try:
            page = httpx.get(url, timeout=5)
            if page.status_code == 200 and 'name="password"' in page.text:
                return process, time.monotonic() - began
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop(process)
    raise Failed(f"{url} did not answer within {timeout:.0f} s:\n{tail(log)}")


def log_in(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
        page = client.get("/auth/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise Failed("The login page has no CSRF token.")
        done = client.post(
            "/auth/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": LOGIN[0], "password": LOGIN[1]},
            headers={"Referer": f"{base}/auth/login/"},
        )
        if done.status_code != 200 or "/t/" not in str(done.url) or "Northwind" not in done.text:
            raise Failed(f"The demo login did not reach the dashboard: {done.status_code} at {done.url}")
        return str(done.url)


def stop(process: subprocess.Popen[bytes]) -> None:
    with_ctrl_c = signal.SIGINT
    try:
        os.killpg(process.pid, with_ctrl_c)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise Failed("`make run` did not stop within 90 s of Ctrl-C.") from None


def check_stopped(clone: Path, ports: dict[str, int]) -> None:
    deadline = time.monotonic() + 15
    while True:
        left = leftovers(clone)
        open_ports = [f"{name} ({port})" for name, port in ports.items() if listening(port)]
        if not left and not open_ports:
            return
        if time.monotonic() > deadline:
            raise Failed("Left running after Ctrl-C: " + "; ".join(left + open_ports))
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sam-fresh-"))
    folder.chmod(0o755)
    clone = folder / "sam"
    ports = {
        "web": free_port(),
        "embedded PostgreSQL": free_port(),
        "embedded Redis": free_port(),
    }
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("SAM_")}
    env.update(
        {
            # Nothing listens at these: the embedded servers are taken, as on a machine without either.
            "SAM_POSTGRES_ADDRESS": f"127.0.0.1:{free_port()}",
            "SAM_REDIS_ADDRESS": f"127.0.0.1:{free_port()}",
            "SAM_EMBEDDED_POSTGRES_PORT": str(ports["embedded PostgreSQL"]),
            "SAM_EMBEDDED_REDIS_PORT": str(ports["embedded Redis"]),
        }
    )
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        print(f"  Cloning {head.stdout.strip()} into {clone}", flush=True)
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
        print("  First `make run` (creates .venv, installs, starts embedded servers, migrates, loads the demo)...")
        process, first = start(clone, env, folder / "run-1.log", ports["web"], FIRST_START_TIMEOUT)
        landed = log_in(ports["web"])
        print(f"  Login page after {first:.0f} s; demo login reached {landed}", flush=True)
        again = subprocess.run(
            ["make", "run", f"PORT={free_port()}"], cwd=clone, env=env, capture_output=True, text=True, timeout=300
        )
        if again.returncode == 0 or "already running from this checkout" not in again.stderr:
            raise Failed(f"A second `make run` in the same checkout did not refuse:\n{again.stdout}{again.stderr}")
        print("  A second `make run` in the same checkout: " + again.stderr.strip().lstrip("✗ "), flush=True)
        stop(process)
        check_stopped(clone, ports)
        print("  Stopped with Ctrl-C: no process of the clone left, no port left open", flush=True)
        process, second = start(clone, env, folder / "run-2.log", ports["web"], 300)
        log_in(ports["web"])
        print(f"  Second start: login page after {second:.0f} s, demo data kept, login works", flush=True)
        stop(process)
        check_stopped(clone, ports)
        print("  Stopped again: nothing left running", flush=True)
        banner = [line.strip() for line in (folder / "run-2.log").read_text().splitlines() if "embedded," in line]
        for line in banner:
            print(f"    {line}")
    except (Failed, subprocess.CalledProcessError) as exc:
        print(f"\n  ✗ check-fresh failed: {exc}\n  (logs kept in {folder})", file=sys.stderr)
        return 1
    if args.keep:
        print(f"  Kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    print("  ✓ check-fresh passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
