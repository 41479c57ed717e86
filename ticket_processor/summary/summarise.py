"""One summary of one thread: the LLM's when one is given and its answer holds, else the
extractive one. The one function every caller (the run's pass, ``eval``) writes a summary
through, in a language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import TicketBotError
from .build import Summary, render
from .extractive import Embed, choose
from .thread import SummaryThread
from .written import read_answer, request, system_prompt

# (system prompt, user message) -> the LLM's answer as text; raises TicketBotError.
Complete = Callable[[str, str], str]


@dataclass(frozen=True)
class Written:
    """A summary and its text for the field; ``fallback`` says why the LLM's was not used
    (``llm_failed``: no answer; ``llm_refused``: not the shape asked), None when it was, or
    when there was no LLM to ask."""

    summary: Summary
    text: str
    fallback: str | None = None


def summarise(
    thread: SummaryThread, embed: Embed, *, complete: Complete | None = None, language: str = "en"
) -> Written:
    fallback: str | None = None
    if complete is not None:
        try:
            answer = complete(system_prompt(language), request(thread))
        except TicketBotError:
            fallback = "llm_failed"
        else:
            written = read_answer(answer)
            if written is not None:
                return Written(written, render(written, language))
            fallback = "llm_refused"
    chosen = choose(thread, embed, language)
    return Written(chosen, render(chosen, language), fallback)
