"""``ticketbot eval --summaries``: how often the running summary states each labelled thread's
problem and its current state (``summary.score``), extractive or the LLM's."""

from __future__ import annotations

import typer
from rich.console import Console

from ..settings import Settings
from ..steps.feature import EvalAsk


def eval_summaries(ask: EvalAsk) -> None:
    """How often the summaries state each thread's problem and its current state."""
    import orjson

    from ..commands.common import exit_codes, load
    from ..errors import ConfigError
    from ..learned.embed import embed_texts
    from .score import parse_threads, score
    from .summarise import summarise

    file, llm = ask.file, ask.llm
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({})
        try:
            lines = file.read_text("utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
        labelled = parse_threads(lines, str(file))[: ask.limit]
        analyser = None
        if llm:
            from ..run.engines import build_analyser

            analyser = build_analyser(settings, workers=1, breaker=None)
        try:
            complete = analyser.complete_text if analyser is not None else None
            written = [summarise(t.thread, embed_texts, complete=complete) for t in labelled]
        finally:
            if analyser is not None:
                analyser.close()
        result = score(
            labelled, [w.text for w in written], sum(w.fallback is not None for w in written)
        ).as_fields()
        result["writer"] = "llm" if llm else "extractive"
        if ask.as_json:
            typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
            return
        Console(highlight=False).print(
            f"{result['threads']} threads, summaries by the {result['writer']}: problem stated "
            f"{result['problem_stated']:.3f}, current state stated {result['state_stated']:.3f}, "
            f"both {result['both_stated']:.3f}; within 100 words {result['within_word_limit']:.3f}"
            f" (longest {result['longest_words']}); LLM answers refused or missing "
            f"{result['llm_fallbacks']}",
            markup=False,
        )
