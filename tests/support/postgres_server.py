"""A real PostgreSQL server for the tests marked ``postgres``: ``initdb`` into a fresh
directory, ``pg_ctl start`` on a free port of 127.0.0.1, stopped afterwards.

The binaries come from ``PATH`` or Debian's ``/usr/lib/postgresql/<version>/bin``; when they
are missing the test fails (never skips) saying what to install. PostgreSQL refuses to run as
root: as root (a CI container) the cluster belongs to the ``postgres`` user the package makes.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    pytest.fail(
        f"PostgreSQL's {name} is not installed: the postgres tests need a real server "
        "(apt-get install -y postgresql, or put its bin directory on PATH)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL; yields its URL (user ``ticketbot``, trust auth, database
    ``postgres``)."""
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="ticketbot-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root, and there is no postgres user to run PostgreSQL as")
        os.chmod(base, 0o755)  # noqa: S103 - the postgres user must reach its cluster
        os.chown(base, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "server.log"
    port = _free_port()
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-U", "ticketbot", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://ticketbot@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
