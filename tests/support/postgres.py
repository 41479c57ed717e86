"""A real PostgreSQL server for the tests that need one (marker ``postgres``).

``serve_postgres(workdir)`` runs Debian's server binaries (``initdb``, ``pg_ctl``: from
``$PG_BIN``, the newest ``/usr/lib/postgresql/*/bin``, or the PATH) on a free port on
127.0.0.1, with a password-protected role ``ticketbot``, and stops it afterwards. PostgreSQL
refuses to run as root: as root (CI, containers) the server runs as the ``postgres`` user
(the Debian package creates it; ``runuser``) in a directory it owns. Without the binaries the
fixture fails, naming the package to install: a ``postgres`` test never skips silently.

The ``postgres`` fixture is one server for the session; ``postgres_url`` a fresh database on
it for each test, as a ``postgresql://`` URL (what ``TICKETBOT_DATABASE_URL`` takes).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "ticketbot"
PASSWORD = "pg-test-password"  # a throwaway server's, on 127.0.0.1 only
SERVER_USER = "postgres"  # who runs the server when the tests run as root
INSTALL_HINT = (
    "PostgreSQL's server is not installed: apt-get install -y postgresql (Debian, Ubuntu), "
    "or set PG_BIN to the folder with initdb and pg_ctl"
)


@dataclass(frozen=True)
class RunningPostgres:
    host: str
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def server_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``; fails the test (loudly) when there is none."""
    given = os.environ.get("PG_BIN")
    candidates = [Path(given)] if given else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    pytest.fail(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@contextmanager
def serve_postgres(workdir: Path | None = None) -> Iterator[RunningPostgres]:
    """A PostgreSQL server on a free port, for as long as the block runs."""
    binaries = server_bin()
    # Not pytest's tmp_path: its parents are private to the user running the tests, and the
    # server may run as another (root cannot run it).
    base = Path(tempfile.mkdtemp(prefix="ticketbot-pg-", dir=workdir))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    (base / "pwfile").write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, SERVER_USER)
        shutil.chown(socket_dir, SERVER_USER)
        shutil.chown(base / "pwfile", SERVER_USER)
        base.chmod(0o700)
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    f"--pwfile={base / 'pwfile'}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-instructions",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(base / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        said = log.read_text() if log.is_file() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr}\n{said}")
    server = RunningPostgres("127.0.0.1", port, data)
    try:
        _wait_ready(server)
        yield server
    finally:
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(server: RunningPostgres, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[RunningPostgres]:
    with serve_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: RunningPostgres) -> str:
    """A fresh database on the session's server."""
    return postgres.create_database()
