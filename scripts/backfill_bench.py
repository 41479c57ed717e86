"""Time and peak RSS of a batch backfill, submit then collect, against a local sandbox.

    python scripts/backfill_bench.py --tickets 2000 [--helpdesk freshdesk]

Starts the helpdesk sandbox and the LLM stand-in (Batch API) in this process, creates the
tickets, runs ``python -m ticket_processor backfill --since 7d`` (submit), completes the batch,
runs ``backfill`` again (collect) and checks every ticket has one note. Each child runs under
``/usr/bin/time -f %M`` for its peak RSS (POSIX).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from ticket_processor.helpdesks.registry import KINDS  # noqa: E402
from ticket_processor.sandbox.desks import NewTicket, serve_desk  # noqa: E402
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread  # noqa: E402

SUBJECTS = ["Refund for order", "Cannot log in", "Parcel late", "Charged twice"]
_CHILD_ENV_PREFIXES = ("TICKETBOT_", "ZENDESK_", "FRESHDESK_", "OPENAI_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--helpdesk", choices=list(KINDS), default="zendesk")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ticketbot-backfill-bench-"))
    tickets = [
        NewTicket(
            f"{SUBJECTS[n % 4]} {n}", f"Ticket {n}: please help, call +44 20 7946 0{n % 1000:03d}."
        )
        for n in range(args.tickets)
    ]
    with (
        serve_desk(KINDS[args.helpdesk], unlimited=True) as desk,
        serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as llm,
    ):
        ids = desk.create(tickets)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CHILD_ENV_PREFIXES)}
        env.update(
            desk.env(),
            OPENAI_BASE_URL=llm.url,
            OPENAI_API_KEY="sk-bench-not-a-key",
            TICKETBOT_MODEL="stand-in",
            TICKETBOT_STATE_DIR=str(work / "state"),
            TICKETBOT_LOG_DIR=str(work / "logs"),
            # The children run in ``work``: this checkout's package, by its absolute path (a
            # relative PYTHONPATH given to the script would name nothing there, and the
            # children would import whatever ticketbot is installed).
            PYTHONPATH=os.pathsep.join(
                [
                    str(REPO_ROOT),
                    *(
                        str(Path(p).resolve())
                        for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                        if p
                    ),
                ]
            ),
        )

        def step(name: str, *flags: str) -> None:
            started = time.monotonic()
            done = subprocess.run(
                ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "ticket_processor",
                 "backfill", *flags],
                env=env, cwd=work, capture_output=True, text=True, check=False,
            )  # fmt: skip
            peak_kb = int(done.stderr.strip().splitlines()[-1])
            print(
                f"{name}: exit {done.returncode}, {time.monotonic() - started:.1f} s, "
                f"peak RSS {peak_kb // 1024} MB: {done.stdout.strip()}"
            )

        step("submit", "--since", "7d")
        llm.complete_batches()
        step("collect")
        once = all(len(desk.snapshot(i).notes) == 1 for i in ids)
        print(f"{args.helpdesk}: {len(ids)} tickets, one note each: {once}")


if __name__ == "__main__":
    main()
