"""What ships: the wheel holds every data folder, and the container is built as documented.

Docker cannot run on the machines these tests run on (no daemon, no registry), so the
Dockerfile is checked for its structure: a slim base, a non-root user that matches the
CronJob's, the /data volume with state and logs in it, the ``ticketbot`` entrypoint with a
``--max-runtime`` below the 10-minute interval, and a build context that has what
``pip install`` needs and none of the secrets.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from setuptools import find_namespace_packages  # type: ignore[import-untyped]

from ticket_processor import __version__
from ticket_processor.ops.kube import DEFAULT_IMAGE, USER_ID
from ticket_processor.ops.schedule import DEFAULT_MAX_RUNTIME, INTERVAL_MINUTES

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            steps.append((word.upper(), rest.strip()))
            pending = ""
    return steps


def test_dockerfile_runs_ticketbot_as_a_non_root_user_with_a_data_volume() -> None:
    steps = instructions()
    kinds = [kind for kind, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    user = [args for kind, args in steps if kind == "USER"]
    assert user, "no USER: the container would run as root"
    assert user[-1].split(":")[0] not in ("root", "0")
    assert user[-1] == f"{USER_ID}:{USER_ID}"  # what the CronJob's securityContext says
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    assert json.loads(dict(steps)["VOLUME"]) == ["/data"]
    env = " ".join(args for kind, args in steps if kind == "ENV")
    assert "TICKETBOT_STATE_DIR=/data/state" in env
    assert "TICKETBOT_LOG_DIR=/data/logs" in env
    assert json.loads(dict(steps)["ENTRYPOINT"]) == ["ticketbot"]
    command = json.loads(dict(steps)["CMD"])
    assert command == ["run", "--max-runtime", str(DEFAULT_MAX_RUNTIME)]
    assert int(command[2]) < INTERVAL_MINUTES * 60
    installs = [args for kind, args in steps if kind == "RUN" and "pip install" in args]
    assert installs
    assert "/src" in installs[0]


def test_build_context_has_what_pip_needs_and_no_secrets() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "setup.cfg", "README.md", "ticket_processor"):
        assert (ROOT / needed).exists()
        assert not any(fnmatch.fnmatch(needed, pattern) for pattern in ignored), needed
    for secret_or_state in (".env", "prod.env", ".git", ".venv", ".ticketbot", "logs"):
        assert any(fnmatch.fnmatch(secret_or_state, p) for p in ignored), secret_or_state
    copied = " ".join(args for kind, args in instructions() if kind == "COPY")
    for needed in ("pyproject.toml", "setup.cfg", "README.md", "ticket_processor"):
        assert needed in copied


def test_the_image_tag_is_the_one_the_schedule_and_docs_name() -> None:
    assert f"ticketbot:{__version__}" == DEFAULT_IMAGE
    assert f"docker build -t {DEFAULT_IMAGE} ." in (ROOT / "Dockerfile").read_text("utf-8")
    operations = (ROOT / "docs" / "how-to" / "schedule.md").read_text("utf-8")
    assert f"docker build -t {DEFAULT_IMAGE} ." in operations
    assert "--env-file" in operations
    assert "-v ticketbot-data:/data" in operations


def test_every_folder_with_files_in_the_package_is_listed() -> None:
    """The condition setuptools warns about: a folder of package data not in ``packages``."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["options"]["packages"].strip() == "find_namespace:"
    find = config["options.packages.find"]
    listed = set(
        find_namespace_packages(
            str(ROOT),
            include=[p.strip() for p in find["include"].split(",")],
            exclude=[p.strip() for p in find["exclude"].split(",")],
        )
    )
    package = ROOT / "ticket_processor"
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for path in [package, *package.rglob("*")]
        if path.is_dir()
        and path.name != "__pycache__"
        and any(f.is_file() and f.suffix != ".pyc" for f in path.iterdir())
    }
    assert "ticket_processor.samples" in folders
    assert folders <= listed, folders - listed
    assert not any("__pycache__" in name for name in listed)


def test_the_wheel_holds_the_samples_and_the_taxonomy(tmp_path: Path) -> None:
    """Built from exactly what the Dockerfile copies (offline: no build isolation)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "ticket_processor",
        source / "ticket_processor",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--no-index",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "absent from the `packages`" not in built.stderr
    (wheel,) = (tmp_path / "dist").glob("ticketbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "ticket_processor/samples/tickets.jsonl",
        "ticket_processor/default_taxonomy.toml",
        "ticket_processor/py.typed",
        "ticket_processor/sample_routes.toml",
        "ticket_processor/learned/default-model.zip",
        "ticket_processor/helpdesks/zendesk/sandbox/server.py",
        "ticket_processor/helpdesks/freshdesk/sandbox/openapi.yaml",
        "ticket_processor/triage/reply_examples.jsonl",  # what the reply model is fitted on
        "ticket_processor/triage/reply_model.zip",  # the fitted reply model, read by every run
        "ticket_processor/sandbox/llm_standin/server.py",
        "ticket_processor/ops/accounts.py",
        # The note's words, one table per language: a run without them cannot write a note.
        "ticket_processor/writeback/words/en.toml",
        "ticket_processor/writeback/words/de.toml",
        # The dashboard's pages and assets: no request leaves ticketbot, so they ship here.
        "ticket_processor/dashboard/templates/tickets.html",
        "ticket_processor/dashboard/static/dashboard.css",
        "ticket_processor/dashboard/static/dashboard.js",
        "ticket_processor/dashboard/static/icon.svg",
    ):
        assert needed in names, needed
    assert not any("__pycache__" in name for name in names)
    samples = zipfile.ZipFile(wheel).read("ticket_processor/samples/tickets.jsonl")
    assert samples == (ROOT / "ticket_processor" / "samples" / "tickets.jsonl").read_bytes()
