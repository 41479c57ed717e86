"""``learn --from-helpdesk`` figures: accuracy against a model learned from the same tickets in
a file, the requests it costs per ticket, and the time, on a sandbox (Zendesk or Freshdesk).

    python scripts/learn_helpdesk_figures.py [--helpdesk zendesk|freshdesk] [--train 1500]
        [--open 300] [--embeddings] [--data ../shared/data/tickets-dev.jsonl]

Seeds the sandbox with ``--train`` solved tickets from the labelled file (labels as agent tags;
every 20th carries ticketbot's marker and an unchanged note of its own, which must be left
out) and ``--open`` open tickets, runs ``ticketbot learn --from-helpdesk`` then
``ticketbot run --engine learned``, and compares the categories written with the labels and
with what a model learned from the same tickets written to a file predicts.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned import LearnedEngine, read_model
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.tags import NOTE_HEADER
from ticket_processor.triage.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def subject_of(row: LabelledTicket) -> str:
    return row.subject or " ".join(row.description.split()[:8]) or "(no subject)"


def create(
    kind: str, sb: Any, row: LabelledTicket, tags: list[str], solved: bool, note: str
) -> int:
    if kind == "zendesk":
        fields: dict[str, Any] = {
            "subject": subject_of(row),
            "comment": {"body": row.description or "-"},
            "status": "solved" if solved else "open",
            "tags": tags,
        }
        ticket_id = int(sb.store.create(fields)["id"])
        if note:
            sb.store.update(ticket_id, {"comment": {"body": note, "public": False}})
        return ticket_id
    fields = {
        "subject": subject_of(row),
        "description": f"<p>{html.escape(row.description or '-')}</p>",
        "email": "customer@example.com",
        "status": 4 if solved else 2,
        "priority": 1,
        "tags": tags,
    }
    ticket_id = int(sb.store.create(fields)["id"])
    if note:
        sb.store.add_note(ticket_id, note, private=True, user_id=1)
    return ticket_id


def tags_of(kind: str, sb: Any, ticket_id: int) -> list[str]:
    ticket = sb.store.get(ticket_id) if kind == "zendesk" else sb.store.find(ticket_id)
    return list(ticket["tags"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helpdesk", choices=("zendesk", "freshdesk"), default="zendesk")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--train", type=int, default=1500)
    parser.add_argument("--open", type=int, default=300)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    rows = load_labelled(args.data)
    random.Random(0).shuffle(rows)
    train_rows, open_rows = rows[: args.train], rows[args.train : args.train + args.open]
    serve = serve_zendesk(SandboxConfig(seed=1)) if args.helpdesk == "zendesk" else None
    desk = serve or serve_freshdesk(FreshdeskConfig(seed=1))
    runner = CliRunner()
    with desk as sb, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = sb.config
        if isinstance(config, SandboxConfig):
            env = {"ZENDESK_URL": sb.url, "ZENDESK_EMAIL": config.email}
            env["ZENDESK_API_TOKEN"] = config.token
        else:
            env = {"TICKETBOT_HELPDESK": "freshdesk", "FRESHDESK_URL": sb.url}
            env["FRESHDESK_API_KEY"] = config.api_key
        env |= {"TICKETBOT_STATE_DIR": str(root / "state"), "TICKETBOT_LOG_DIR": str(root / "l")}
        env |= {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
        kept: list[LabelledTicket] = []
        kept_ids: list[int] = []
        for n, row in enumerate(train_rows):
            tags = [f"ai_{k}_{v}" for k, v in row.labels.items()]
            if n % 20 == 0:  # ticketbot's own labels, unchanged: must not be learned
                note = "\n".join(
                    [NOTE_HEADER, *(f"{k.capitalize()}: {v}" for k, v in row.labels.items())]
                )
                create(args.helpdesk, sb, row, ["ai_processed", *tags], True, note)
            else:
                kept_ids.append(create(args.helpdesk, sb, row, tags, True, ""))
                kept.append(row)
        open_ids = [create(args.helpdesk, sb, row, [], False, "") for row in open_rows]
        fast = ["--folds", "0"] + ([] if args.embeddings else ["--no-embeddings"])
        stats = sb.stats
        before = stats()["requests_total"]
        started = time.perf_counter()
        learned = runner.invoke(app, ["learn", "--from-helpdesk", "--since", "1d", *fast], env=env)
        seconds = time.perf_counter() - started
        requests = stats()["requests_total"] - before
        print(learned.output)
        if learned.exit_code != 0:
            return 1
        # The same tickets as the helpdesk holds them (Freshdesk keeps HTML: its text differs
        # from the source file's for some tickets), written to a file: "learn FILE" on it.
        helpdesk = connect(load_settings(env, env_file=None))
        held = {t.id: t for page in helpdesk.ticket_pages(None, since=0) for t in page.tickets}
        helpdesk.close()
        data = root / "same.jsonl"
        with data.open("w", encoding="utf-8") as out:
            for ticket_id, row in zip(kept_ids, kept, strict=True):
                t = held[ticket_id]
                line = {"id": row.id, "source": args.helpdesk, "subject": t.subject,
                        "description": t.description, "labels": row.labels}  # fmt: skip
                out.write(json.dumps(line) + "\n")
        other = root / "file.zip"
        runner.invoke(app, ["learn", str(data), "--out", str(other), *fast], env=env)
        ran = runner.invoke(app, ["run", "--engine", "learned"], env=env)
        if ran.exit_code != 0:
            print(ran.output)
            return 1
        engine = LearnedEngine(read_model(other, taxonomy.names), taxonomy)
        same = right_run = right_file = scored = 0
        for ticket_id, row in zip(open_ids, open_rows, strict=True):
            written = [
                t[12:]
                for t in tags_of(args.helpdesk, sb, ticket_id)
                if t.startswith("ai_category_")
            ]
            predicted = engine.analyse(
                held[ticket_id].subject, held[ticket_id].description
            ).category
            same += written == [predicted]
            if "category" in row.labels:
                scored += 1
                right_run += written == [row.labels["category"]]
                right_file += predicted == row.labels["category"]
    print(f"helpdesk: {args.helpdesk} sandbox; {len(train_rows)} solved ({len(kept)} reviewed), "
          f"{len(open_rows)} open; embeddings {'on' if args.embeddings else 'off'}")  # fmt: skip
    print(f"learn --from-helpdesk: {seconds:.1f} s, {requests} requests = "
          f"{requests / len(train_rows):.4f} a solved ticket")  # fmt: skip
    print(f"open tickets where run --engine learned wrote the file-trained model's category: "
          f"{same}/{len(open_rows)}")  # fmt: skip
    run_acc, file_acc = right_run / max(scored, 1), right_file / max(scored, 1)
    print(f"category accuracy on {scored} labelled open tickets: helpdesk-trained run "
          f"{run_acc:.3f}, file-trained model {file_acc:.3f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"(machine: {os.cpu_count()} cores, shared with other agents; load {load:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
