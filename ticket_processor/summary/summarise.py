"""One summary of one thread: the LLM's when one is given and its answer holds, else the
extractive one. The one function every caller (the run's pass, ``eval``) writes a summary
through, in a language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import TicketBotError
from .build import Summary, render
from .extractive import Embed, choose
from .templates import words_for
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
    thread: SummaryThread,
    embed: Embed,
    *,
    complete: Complete | None = None,
    language: str = "en",
    held: str | None = None,
) -> Written:
    """``held``: the tag of the spam gate's verdict the ticket carries (None: none). A held
    ticket is no customer's to answer: its next step says so, whoever wrote the rest."""
    fallback: str | None = None
    chosen: Summary | None = None
    if complete is not None:
        asked = request(thread)
        try:
            answer = complete(system_prompt(language), asked)
        except TicketBotError:
            fallback = "llm_failed"
        else:
            chosen = read_answer(answer, asked)
            fallback = None if chosen is not None else "llm_refused"
    if chosen is None:
        chosen = choose(thread, embed, language)
    if held is not None:
        chosen = replace(chosen, next_step=words_for(language).next_for_held.format(tag=held))
    return Written(chosen, render(chosen, language), fallback)
