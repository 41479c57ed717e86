"""``ticketbot discover``: topics the taxonomy does not have, found in a file or the helpdesk.

Reads tickets (a JSON-lines file in ``eval``'s format, labels optional; or the helpdesk's tickets
updated within ``--since``), has the triage engine judge each one (which category, applied or
not), embeds them with the bundled sentence encoder (once: the learned engine judges with the
same vectors), and hands both to ``topics.discover``. Prints
the topics (or ``--json``); ``--assignments`` writes each ticket's topic, ``--taxonomy-out`` the
uncovered topics as a taxonomy fragment. The same input and ``--seed`` give the same topics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..models import Engine
from ..settings import Settings
from .common import ENGINE_METAVAR, engine_choice, exit_codes, json_text, load

# A helpdesk read stops here: discovery is for a month's tickets, not a decade's.
MAX_HELPDESK_TICKETS = 50_000


def discover(
    file: Annotated[
        Path | None,
        typer.Argument(
            dir_okay=False, help="Tickets as JSON lines (eval's format; labels optional)."
        ),
    ] = None,
    from_helpdesk: Annotated[
        bool, typer.Option("--from-helpdesk", help="Read the helpdesk's tickets instead of a file.")
    ] = False,
    since: Annotated[
        str, typer.Option(metavar="SPAN|DATE", help="--from-helpdesk: tickets updated since (30d).")
    ] = "30d",
    focus: Annotated[
        Literal["all", "uncovered"],
        typer.Option(help="all tickets, or only those the taxonomy fits badly (uncovered)."),
    ] = "all",
    engine: Annotated[
        Engine,
        typer.Option(
            parser=engine_choice,
            metavar=ENGINE_METAVAR,
            help="The engine that judges what the taxonomy covers (learned: the bundled model).",
        ),
    ] = "learned",
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    assignments: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help='Write {"id", "topic"} per ticket (null: no topic).'),
    ] = None,
    taxonomy_out: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write the uncovered topics as a taxonomy fragment."),
    ] = None,
    names: Annotated[
        Literal["auto", "words", "llm"],
        typer.Option(
            help="Topic names: from the LLM when one is configured (auto), always from the "
            "distinctive words (words), or from the LLM (llm: an error without one).",
        ),
    ] = "auto",
    seed: Annotated[int, typer.Option(help="The sample's seed on large inputs.")] = 0,
    limit: Annotated[int | None, typer.Option(min=1, help="Read only the first N tickets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Propose topics from tickets, and say which ones the taxonomy does not cover."""
    # One function: a Typer command declares its options in its signature (what --help
    # shows), most of its length; what it does below is short.
    from ..errors import ConfigError
    from ..run.engines import build_eval_chain, eval_workers
    from ..settings.values import parse_thresholds
    from ..topics.discover import TopicInput
    from ..topics.discover import discover as find_topics
    from ..topics.fragment import fragment
    from ..triage.taxonomy import load_taxonomy
    from .discover_io import judge, llm_namer, read_file, read_helpdesk, write_assignments

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        if from_helpdesk == (file is not None):
            raise ConfigError("give a FILE of tickets or --from-helpdesk (one of the two)")
        settings = load({"taxonomy_file": taxonomy})
        chosen = load_taxonomy(settings.taxonomy_file)
        if file is not None:
            tickets = read_file(file, limit=limit)
        else:
            tickets = read_helpdesk(
                settings, since=since, now=datetime.now(UTC), limit=limit or MAX_HELPDESK_TICKETS
            )
        if not tickets:
            raise ConfigError("no tickets to discover topics in")
        chain = build_eval_chain(settings, chosen, engine)
        judged, texts, vectors = judge(
            tickets,
            chain,
            workers=eval_workers(settings, engine)[0],
            max_input_tokens=settings.max_input_tokens,
            confidence_threshold=settings.confidence_threshold,
            # What the runs apply: the thresholds configured, else the engine's calibration.
            apply_at=parse_thresholds(settings.apply_at, setting="TICKETBOT_APPLY_AT"),
            suggest_at=parse_thresholds(settings.suggest_at, setting="TICKETBOT_SUGGEST_AT"),
        )
        if names == "llm" and not settings.llm_configured:
            raise ConfigError(
                "--names llm needs an endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        namer = (
            llm_namer(settings, chosen) if names != "words" and settings.llm_configured else None
        )
        found = find_topics(
            TopicInput(
                ids=[t.id for t in tickets],
                texts=texts,
                subjects=[t.subject for t in tickets],
                judged=judged,
                vectors=vectors,
            ),
            fallback=chosen.fallback_category,
            focus=focus,
            seed=seed,
            namer=namer,
        )
        if assignments is not None:
            write_assignments(assignments, [t.id for t in tickets], found)
        uncovered = [t for t in found.topics if not t.coverage.covered]
        if taxonomy_out is not None:
            from ..common.atomic import atomic_write_bytes

            atomic_write_bytes(
                taxonomy_out, fragment([t.as_uncovered() for t in uncovered], chosen).encode()
            )
        if as_json:
            typer.echo(json_text(_as_json(found, len(tickets))))
            return
        _print(console, found, len(tickets))
        if taxonomy_out is not None:
            console.print(
                f"{len(uncovered)} uncovered topic(s) written to {escape(str(taxonomy_out))}: "
                "edit them, add them to your taxonomy, then check with `ticketbot eval`"
            )


def _as_json(found: object, total: int) -> dict[str, object]:
    from ..topics.discover import FoundTopics

    assert isinstance(found, FoundTopics)
    return {
        "tickets": total,
        "clustered": found.clustered,
        "assigned": found.assigned,
        "topics": [
            {
                "topic": t.number,
                "name": t.name,
                "named_by": t.named_by,
                "size": t.size,
                "words": list(t.cues),
                "examples": list(t.examples),
                "category": t.coverage.category,
                "category_share": round(t.coverage.category_share, 3),
                "subcategory": t.coverage.subcategory,
                "covered": t.coverage.covered,
                "fitted_share": round(t.coverage.fitted_share, 3),
            }
            for t in found.topics
        ],
    }


def _print(console: Console, found: object, total: int) -> None:
    from ..topics.discover import FoundTopics

    assert isinstance(found, FoundTopics)
    table = Table(title=f"{len(found.topics)} topics in {total} tickets")
    for column in ("#", "topic", "tickets", "examples", "mostly", "covered"):
        table.add_column(column, overflow="fold")
    for t in found.topics:
        table.add_row(
            str(t.number),
            escape(t.name),
            str(t.size),
            "\n".join(escape(e) for e in t.examples),
            f"{t.coverage.category} {t.coverage.category_share:.0%}",
            "yes" if t.coverage.covered else f"no ({t.coverage.fitted_share:.0%} fit)",
        )
    console.print(table)
    console.print(
        f"{found.assigned} of {total} tickets in a topic "
        f"({found.clustered} clustered); the rest fit no topic"
    )
