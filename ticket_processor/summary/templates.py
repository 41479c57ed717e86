"""The words a summary is written in, per language: its four labels and the sentences that
stand in where the thread has nothing to quote (no agent reply yet, who is to act next).

One ``SummaryWords`` per language code; ``words_for`` falls back to English for a language
that has none yet. The agent's language is chosen elsewhere (it is a setting of its own); a
new language is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryWords:
    """The fixed wording of a summary in one language."""

    problem: str  # the four labels, in the field's order
    done: str
    state: str
    next_step: str
    nothing_done: str  # "what was done" before any agent wrote
    new_ticket: str  # "where it stands" while the customer's first message is all there is
    customer_last: str  # "where it stands" after a customer's message: {text} is its sentence
    agent_last: str  # "where it stands" after an agent's message
    next_for_agent: str  # the customer wrote last: an agent is to answer
    next_for_customer: str  # an agent wrote last: the customer is to answer


ENGLISH = SummaryWords(
    problem="Problem",
    done="Done",
    state="Status",
    next_step="Next",
    nothing_done="No agent has replied yet.",
    new_ticket="New, waiting for a first reply.",
    customer_last="The customer wrote last: {text}",
    agent_last="An agent replied last; waiting for the customer.",
    next_for_agent="Answer the customer.",
    next_for_customer="Wait for the customer's answer; follow up if none comes.",
)

TEMPLATES: dict[str, SummaryWords] = {"en": ENGLISH}
DEFAULT_LANGUAGE = "en"


def words_for(language: str) -> SummaryWords:
    """The wording for ISO code ``language`` (``de``, ``pt-BR``), English where there is none."""
    code = language.strip().lower().replace("_", "-")
    return TEMPLATES.get(code) or TEMPLATES.get(code.split("-")[0]) or ENGLISH
