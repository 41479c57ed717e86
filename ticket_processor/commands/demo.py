"""``ticketbot demo``: the zero-configuration tour, for any helpdesk in the registry.

Starts the helpdesk's local sandbox in this process on a free port (``--helpdesk``, Zendesk by
default), seeds it through that kind's seed with the shipped sample tickets (and, where the
kind makes them, the sample groups, which the sample routes then use, and a help centre), runs
one real batch against it (the LLM when ``OPENAI_API_KEY`` or
``OPENAI_BASE_URL`` is set, else the keyword rules, and it says which), then reads the tickets
back from the sandbox's API and shows what changed and where the log is.

The demo never touches the user's own helpdesk, cursor or logs: that helpdesk's settings from
the environment or ``.env`` are replaced by the sandbox's, and state and logs go to a fresh
temporary directory that is left in place for inspection (``ticketbot report`` can read it).
Like ``cli.py`` this is a composition root, which is why it may start the sandbox.
"""

from __future__ import annotations

import importlib
import tempfile
from contextlib import closing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..common.scrub import display_url
from ..errors import either
from ..helpdesks.registry import DEFAULT_KIND, helpdesk_kind
from ..helpdesks.samples import cycle, load_samples
from ..models import Helpdesk, Ticket
from ..run.connect import connect
from ..run.runner import run_once
from ..sandbox.entry import SandboxEntry
from ..settings import Settings
from ..triage.note_text import terminal_text
from ..writeback.note import is_triage_note
from .render import (
    print_said,
    progress_bar,
    roomy,
    stacked,
    summary_line,
    summary_table,
    wide_enough,
)

SHOWN = 15  # tickets shown in the result table; the rest are counted


@dataclass(frozen=True)
class DemoRow:
    """One ticket before and after the run, as the result table shows it."""

    before: Ticket
    after: Ticket
    note: str | None
    group: str = "-"  # the group's name after the run

    @property
    def added_tags(self) -> list[str]:
        kept = set(self.before.tags)
        return [tag for tag in self.after.tags if tag not in kept]

    def tagged(self, prefix: str) -> dict[str, str]:
        """``{"category": "bug", "urgency": "high", ...}`` from the added tags."""
        found = {}
        for tag in self.added_tags:
            for field in ("category", "urgency", "sentiment", "lang"):
                if tag.startswith(f"{prefix}{field}_"):
                    found[field] = tag.removeprefix(f"{prefix}{field}_")
        return found


def offline_engine_note(settings: Settings) -> str:
    """Which offline engine the demo uses, and how well it did on the shipped samples."""
    from ..learned import MODEL_FILE_NAME, bundled_model_path, load_model
    from ..triage.taxonomy import load_taxonomy

    own = settings.learned_model or settings.state_dir / MODEL_FILE_NAME
    path = own if settings.learned_model is not None or own.exists() else bundled_model_path()
    model, why = load_model(path, load_taxonomy(settings.taxonomy_file).names)
    if model is None:
        return (
            f"Engine: keyword rules (no OPENAI_API_KEY or OPENAI_BASE_URL is set, and no usable "
            f"learned model: {escape(why or 'unknown')})."
        )
    scores = [
        f"{name} {model.fields[name].cv_per_source['samples']:.2f}"
        for name in ("category", "urgency", "sentiment")
        if name in model.fields and "samples" in model.fields[name].cv_per_source
    ]
    # The shipped samples' share of the model's cross-validation: the tickets the demo shows.
    # ``health`` reports the same cross-validation pooled over every training set (``learned.
    # choice.scores_text``), higher for category where banking77 and bitext are easier.
    measured = (
        f" Measured on the shipped sample tickets alone, each predicted by a fold that did not "
        f"train on it (cross-validated macro-F1 on the samples): {', '.join(scores)}; "
        f"`ticketbot health` gives the figure pooled over all its training sets."
        if scores
        else ""
    )
    which = "bundled with ticketbot" if path == bundled_model_path() else f"from {path}"
    return (
        f"Engine: the learned model {escape(which)}, the best engine available without an LLM "
        f"(no OPENAI_API_KEY or OPENAI_BASE_URL is set); keyword rules where it cannot "
        f"decide.{measured}"
    )


def run_demo(
    settings: Settings, *, console: Console, count: int, helpdesk: str = DEFAULT_KIND
) -> int:
    """Seed a sandbox of the ``helpdesk`` kind, triage it once, show the result; the run's
    exit code."""
    kind = helpdesk_kind(helpdesk)
    engine = "llm"  # the best engine available: the LLM, else the learned model, else rules
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-demo-"))
    if settings.llm_configured:
        where = display_url(settings.openai_base_url) if settings.openai_base_url else "OpenAI"
        console.print(
            f"Engine: the LLM ({escape(', '.join(settings.models))} at {escape(where)}), "
            "keyword rules where it fails."
        )
    else:
        console.print(offline_engine_note(settings), soft_wrap=True)
    entry = cast(SandboxEntry, importlib.import_module(kind.sandbox))
    sample_routes = resources.files("ticket_processor") / "sample_routes.toml"
    with entry.started() as sandbox, resources.as_file(sample_routes) as routes:
        # The user's own settings of this helpdesk are replaced by the sandbox's, whole.
        demo_settings = settings.model_copy(
            update={
                "helpdesk": kind.name,
                "desks": {**settings.desks, kind.name: kind.settings.from_env(sandbox.env)},
                "state_dir": workdir / "state",
                "log_dir": workdir / "logs",
                "alert_webhook": None,  # a demo is not an incident
            }
        )
        target = connect(demo_settings)
        with closing(target):
            seeded = kind.seeder()(target, cycle(load_samples(), count), samples=True)
            ids = sorted(seeded.result.created_ids)
            before = {t.id: t for t in target.tickets(ids[:SHOWN])}
            console.print(
                f"Seeded {len(ids)} sample tickets"
                + (f" and a help centre of {seeded.articles} articles" if seeded.articles else "")
                + f" into a local {kind.label} sandbox at {escape(sandbox.url)}."
            )
            if seeded.groups:  # the sample routes send tickets to the sample groups
                demo_settings = demo_settings.model_copy(
                    update={"routes_file": settings.routes_file or routes}
                )
            with progress_bar(console, enabled=console.is_terminal, label="triaging") as tick:
                summary = run_once(demo_settings, engine=engine, on_progress=tick)
            rows = _read_back(target, before, ids[:SHOWN], seeded.groups)
    if wide_enough(console):
        console.print(
            result_table(rows, total=len(ids), prefix=settings.tag_prefix, width=console.width)
        )
    else:
        console.print(*result_lines(rows, total=len(ids)), sep="\n", markup=False, soft_wrap=True)
    if console.is_terminal:
        console.print(summary_table(summary))
    else:
        console.print(summary_line(summary), markup=False, soft_wrap=True)
    print_said(summary, console)
    log_dir = demo_settings.log_dir
    choose = () if kind.name == DEFAULT_KIND else (f"TICKETBOT_HELPDESK={kind.name}",)
    console.print(
        f"JSON-lines log: {escape(str(log_dir))}\n"
        f"Summarise it:   TICKETBOT_LOG_DIR={escape(str(log_dir))} ticketbot report\n"
        f"Your own {kind.label}: set {either([*choose, *kind.account_variables], word='and')}, "
        "then `ticketbot run --dry-run`.",
        soft_wrap=True,
    )
    return summary.exit_code


def _read_back(
    helpdesk: Helpdesk, before: dict[int, Ticket], ids: list[int], groups: dict[str, int]
) -> list[DemoRow]:
    """The shown tickets as the sandbox's API now returns them, with ticketbot's note."""
    names = {gid: name for name, gid in groups.items()}
    rows = []
    for ticket in helpdesk.tickets(ids):
        notes = [n for n in helpdesk.notes(ticket.id) if is_triage_note(n)]
        group = names.get(ticket.group_id, str(ticket.group_id)) if ticket.group_id else "-"
        rows.append(DemoRow(before[ticket.id], ticket, notes[0] if notes else None, group))
    return rows


def _clip_words(text: str, limit: int) -> str:
    """``text`` cut at a word boundary within ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def result_table(
    rows: list[DemoRow], *, total: int, prefix: str, width: int | None = None
) -> Table:
    """What the run changed on each shown ticket, from the tags and note read back; at a
    ``width`` under ``ROOMY_WIDTH`` the short cells stack (see ``render.planned_table``).

    Cells holding ticket text are ``Text``, so a subject can never act as rich markup.
    """
    wide = roomy(width)
    table = Table(
        title="The sandbox after the run (read back through its API)", show_lines=not wide
    )
    table.add_column("ticket", justify="right", no_wrap=True)
    table.add_column("subject", max_width=24 if wide else 20, overflow="ellipsis", no_wrap=True)
    for heading in stacked(["category", "urgency"], roomy=wide):
        table.add_column(heading, overflow="fold")
    for heading in stacked(["priority", "group"], roomy=wide):
        table.add_column(heading, overflow="fold")
    table.add_column("tags kept", style="dim", overflow="fold")
    table.add_column("note (summary)", ratio=1, overflow="fold")
    for row in rows:
        found = row.tagged(prefix)
        escalated = f"{prefix}escalated" in row.added_tags
        summary = _clip_words(terminal_text(_summary_of(row.note)), 160) if row.note else None
        table.add_row(
            str(row.after.id),
            Text(terminal_text(row.after.subject or "(no subject)")),
            *stacked([found.get("category", "-"), found.get("urgency", "-")], roomy=wide),
            *stacked(
                [_priority_change(row), row.group + (" (escalated)" if escalated else "")],
                roomy=wide,
            ),
            Text(" ".join(row.before.tags) or "-"),
            Text(summary or "(no note)"),
        )
    table.caption = (
        f"each ticket also got {prefix}processed, {prefix}sentiment_*, {prefix}lang_* tags"
        + (f"; {len(rows)} of {total} tickets shown" if total > len(rows) else "")
    )
    return table


def result_lines(rows: list[DemoRow], *, total: int) -> list[str]:
    """The same as ``result_table``, one line a ticket, for a pipe or a file."""
    lines = ["The sandbox after the run (read back through its API):"]
    for row in rows:
        lines.append(
            f"ticket {row.after.id} {row.after.subject[:40]!r}: "
            f"priority {_priority_change(row)}; group {row.group}; "
            f"kept {' '.join(row.before.tags) or '-'}; added {' '.join(row.added_tags)}; "
            f"note: {terminal_text(_summary_of(row.note)) if row.note else '(no note)'}"
        )
    if total > len(rows):
        lines.append(f"({len(rows)} of {total} tickets shown)")
    return lines


def _priority_change(row: DemoRow) -> str:
    old = row.before.priority or "none"
    new = row.after.priority or "none"
    return old if old == new else f"{old} → {new}"


def _summary_of(note: str) -> str:
    for line in note.splitlines():
        if line.startswith("Summary: "):
            return line.removeprefix("Summary: ")
    return note.splitlines()[0]
