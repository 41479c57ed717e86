"""What encryption at rest costs a run: ``encryption_cpu``.

The same backlog (the shipped sample tickets, cycled) is triaged by ``ticketbot run`` in a child
process on a fresh Zendesk sandbox and state directory, alternately without a key and with one
(``TICKETBOT_ENCRYPTION_KEY_FILE``), and each child's CPU (user + system, from the OS) is read;
the figure is the median of each and their difference, as a share of the plain run's CPU.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts import ROOT, child_env, command_parser, run_dirs
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import cycle, load_samples
from ticket_processor.sandbox.desks import NewTicket, serve_desk


def _child_cpu(args: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "ticket_processor", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"ticketbot {' '.join(args)} exited {done.returncode}: {done.stderr[-800:]}"
        )
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _one_run(tickets: int, key: Path | None, work: Path) -> float:
    with serve_desk(KINDS["zendesk"], unlimited=True) as desk:
        backlog = [NewTicket(s.subject, s.description) for s in cycle(load_samples(), tickets)]
        desk.create(backlog)
        state = Path(tempfile.mkdtemp(dir=work))
        env = child_env(desk.env(), run_dirs(state), TICKETBOT_AUDIT_RAW_SUBJECTS="true")
        if key is not None:
            env["TICKETBOT_ENCRYPTION_KEY_FILE"] = str(key)
        return _child_cpu(["run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z"], env)


def encryption_cpu(argv: list[str]) -> int:
    parser = command_parser("encryption_cpu")
    parser.add_argument("--tickets", type=int, default=300, help="tickets in the backlog")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind, alternated")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        key = work / "ticketbot.key"
        subprocess.run(
            [sys.executable, "-m", "ticket_processor", "privacy", "keygen", str(key)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
            capture_output=True,
        )
        plain: list[float] = []
        sealed: list[float] = []
        for _ in range(options.rounds):
            plain.append(_one_run(options.tickets, None, work))
            sealed.append(_one_run(options.tickets, key, work))
    p, s = statistics.median(plain), statistics.median(sealed)
    load = os.getloadavg()[0]
    print(f"tickets a run: {options.tickets}; rounds: {options.rounds}; load: {load:.1f}")
    print(f"run CPU without a key: median {p:.2f} s ({', '.join(f'{x:.2f}' for x in plain)})")
    print(f"run CPU with a key:    median {s:.2f} s ({', '.join(f'{x:.2f}' for x in sealed)})")
    print(f"encryption's cost: {s - p:+.2f} s, {100 * (s - p) / p:+.1f} % of the run's CPU")
    return 0
