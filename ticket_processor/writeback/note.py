"""The internal note ticketbot writes on a ticket, and how it reads its notes back.

The note is for agents: plain text, a header line, the analysis, the routing and help-centre
sections, the reply draft. Its last line is for machines: the trailer (``writeback.trailer``),
which says everything ticketbot decided, so the harvest, revert's readers, Freshdesk's
duplicate-note check and crash recovery read one format instead of parsing the prose. It never
names the run: a rerun or another installation must recognise the note as the same triage.

Ticket text reaches the note only through the analysis (summary, reply draft), the LLM's
translation of the customer's message and the help centre (titles): those are made inert, so
no line they contribute can pass for the header, a label line, a value line (``Priority``,
``Risk of ending badly``, ``ESCALATED``) or the trailer; the translation is quoted as the
customer's, every line, and each is cut to a bound (``SECTION_CHARS``). A note is ticketbot's
only when its first line is the header, its last line the trailer, and no other line looks
like either. A revert leaves a note of its own (``render_revert_note``) that takes back the
triage note answering the same message. Pure.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..models import Analysis, Priority, RouteDecision, Suggestion, Triage
from ..triage.confidence import Decision
from ..triage.note_text import llm_text, strip_controls
from .trailer import FIRST_MESSAGE, TRAILER_TAG, TRAILER_VERSION, NoteTrailer, parse_trailer
from .wording import (
    DEFAULT_LANGUAGE,
    SPAM_REASON_KEYS,
    Wording,
    all_labels,
    line_openers,
    say_again,
    section_titles,
    wording,
)

NOTE_HEADER = "ticketbot triage"

_NOTE_LINE = re.compile(r"^(Category|Urgency|Sentiment):\s*([a-z0-9_]+)")


# A line that could pass for one of the note's own (header, label lines, section titles, the
# run line, the trailer), matched on the folded line so look-alike letters or spacing do not
# slip past.
# Every language's labels and section titles count (``writeback.wording``). Built when a note
# is first rendered: it reads every language's table, which a run with nothing to write skips.
@functools.cache
def _own_line() -> re.Pattern[str]:
    return re.compile(
        r"^\W{0,3}(?:ticketbot|run\s+\S*\d\S*$|help-centre articles|suggested reply"
        r"|(?:summary|subcategory|category|urgency|sentiment|language|confidence|routing|run"
        r"|priority|escalated|risk(?: of ending badly)?|spam gate)\s*:"
        + "".join(f"|{re.escape(title)}" for title in section_titles())
        + "".join(f"|{re.escape(opener)}" for opener in line_openers())
        + "|(?:"
        + "|".join(re.escape(label) for label in all_labels())
        + r")\s*:)"
    )


# A slot for the helpdesk fields a triage may set (custom fields, by id or name); empty today.
HelpdeskFields = Mapping[str, str | int | float | bool]


def field_values(analysis: Analysis) -> list[tuple[str, str]]:
    """The decided fields with their values, in tag order (no subcategory: none)."""
    values = [("category", analysis.category)]
    if analysis.subcategory:
        values.append(("subcategory", analysis.subcategory))
    values += [("urgency", analysis.urgency.value), ("sentiment", analysis.sentiment.value)]
    return values


def _lines(text: str) -> list[str]:
    return [line for line in (raw.strip() for raw in text.splitlines()) if line]


def read_note(text: str | None) -> NoteTrailer | None:
    """The trailer of a note ticketbot wrote with one, or None (not ticketbot's, or older).

    Trusted only when the first line is ticketbot's header, the last the trailer, and no line
    between looks like either: a note's inert sections cannot produce such lines, so a note
    with more was not written by ticketbot as it stands."""
    lines = _lines(text or "")
    if len(lines) < 2 or not lines[0].startswith(f"{NOTE_HEADER} ("):
        return None
    if any(line.startswith((NOTE_HEADER, TRAILER_TAG)) for line in lines[1:-1]):
        return None
    return parse_trailer(lines[-1])


def _legacy_note(lines: Sequence[str]) -> bool:
    """A note written before the trailer: the header first, a ``Category:`` (``Urgency:``,
    ``Sentiment:``) line, no trailer."""
    if not lines or not lines[0].startswith(NOTE_HEADER):
        return False
    if any(line.startswith(TRAILER_TAG) for line in lines):
        return False  # a trailer that does not read right: not a note of either kind
    return any(_NOTE_LINE.match(line) for line in lines[1:])


def _legacy_labels(lines: Sequence[str]) -> dict[str, str] | None:
    """The labels of a note from before the trailer, read where that format put them and only
    there (the header, its one ``Summary:`` line, then ``Category:``, ``Urgency:``,
    ``Sentiment:``): as strict as the trailer's last line. A ``Category:`` line anywhere else
    is text the note quotes, never a label; a note whose lines are not in that order has no
    labels to read."""
    if not _legacy_note(lines):
        return None
    start = 2 if lines[1].startswith("Summary:") else 1
    block = lines[start : start + 3]
    if len(block) < 3:
        return None
    found: dict[str, str] = {}
    for line, key in zip(block, ("Category", "Urgency", "Sentiment"), strict=True):
        match = _NOTE_LINE.match(line)
        if match is None or match.group(1) != key:
            return None
        found[key.lower()] = match.group(2)
    return found


def is_triage_note(text: str | None) -> bool:
    """True for ticketbot's triage note: with a trailer, or in the format from before it."""
    return read_note(text) is not None or _legacy_note(_lines(text or ""))


def note_labels(text: str | None) -> dict[str, str] | None:
    """What ticketbot's note says it wrote (category, urgency, sentiment), or None when the
    text is not a ticketbot note."""
    trailer = read_note(text)
    if trailer is not None:
        return trailer.labels()
    return _legacy_labels(_lines(text or ""))


def answers_same_message(existing: str, planned: str) -> bool:
    """True when ``existing`` is ticketbot's note for the message ``planned`` answers: the note
    not to post twice. A note from before the trailer answered the first message."""
    ours = read_note(planned)
    theirs = read_note(existing)
    if theirs is not None:
        return ours is None or theirs.answers == ours.answers
    return is_triage_note(existing) and (ours is None or ours.answers is None)


REVERT_OPENING = "ticketbot: the triage of run "


def render_revert_note(run_id: str, done: str, *, answers: int | None = None) -> str:
    """The note a revert leaves: what it undid, then a trailer that says a triage was undone
    (never the header: this note must not count as a triage note)."""
    which = FIRST_MESSAGE if answers is None else str(answers)
    return (
        f"{REVERT_OPENING}{_inert(run_id)} was reverted ({_inert(done)}).\n"
        f"{TRAILER_TAG}{TRAILER_VERSION} reverted=yes answers={which}"
    )


def is_revert_note(text: str | None) -> bool:
    lines = _lines(text or "")
    return (
        len(lines) == 2
        and lines[0].startswith(REVERT_OPENING)
        and re.fullmatch(rf"{TRAILER_TAG}[1-9][0-9]* reverted=yes answers=\S+", lines[1])
        is not None
    )


def standing_note(notes: Sequence[str]) -> str | None:
    """The triage note whose labels still stand: the last one not taken back by a revert.

    ``notes`` in the order the helpdesk lists them (oldest first). A revert note takes back the
    triage note answering the same message (a re-triage after a reply: the labels before it
    stand again; the first message's: none stand)."""
    standing: list[tuple[str, str]] = []  # (the message answered, the note)
    for text in notes:
        trailer = read_note(text)
        if trailer is not None or is_triage_note(text):
            which = (
                FIRST_MESSAGE
                if trailer is None or trailer.answers is None
                else str(trailer.answers)
            )
            standing.append((which, text))
        elif is_revert_note(text):
            undone = _reverted_message(text)
            if undone == FIRST_MESSAGE:
                standing.clear()
            else:
                standing = [(which, note) for which, note in standing if which != undone]
    return standing[-1][1] if standing else None


def reverted_reply(text: str | None) -> int | None:
    """The reply whose re-triage a revert note took back (its id), else None (not a revert
    note, or the first message's). That reply was judged: reading it again would write its
    note and tags back, which the revert took away on purpose."""
    if not is_revert_note(text):
        return None
    which = _reverted_message(text or "")
    return int(which) if which.isdigit() else None


def _reverted_message(text: str) -> str:
    match = re.search(r" answers=(\S+)\s*$", text.strip())
    return match.group(1) if match else FIRST_MESSAGE


def _inert(text: str) -> str:
    """Untrusted text as one line: no line break survives, so it cannot start a line."""
    return " ".join(text.split())


def _looks_own(line: str) -> bool:
    folded = unicodedata.normalize("NFKC", strip_controls(line)).casefold().strip()
    return _own_line().match(folded) is not None


def inert_block(text: str) -> list[str]:
    """Untrusted lines (a reply draft): a line that could pass for ticketbot's is quoted."""
    return [f"> {line}" if _looks_own(line) else line for line in text.splitlines()]


def render_suggestions(
    suggestions: Sequence[Suggestion], words: Wording | None = None
) -> list[str]:
    """The note's help-centre section: numbered as a draft cites them, title and link."""
    if not suggestions:
        return []
    say = words or wording(DEFAULT_LANGUAGE)
    lines = ["", say.say("articles")]
    for number, article in enumerate(suggestions, start=1):
        internal = say.say("internal_article")
        lines.append(
            f"[{number}] {_inert(article.title)}"
            + (internal if article.visibility == "internal" else "")
        )
        lines.append(f"    {_inert(article.url)}")
    return lines


def _decided(value: str, fate: Decision | None, triage: Triage, name: str, words: Wording) -> str:
    """A field's value as the note states it: applied, or suggested, or left open."""
    if fate is None or fate == "apply":
        return value
    confidence = f"{triage.field_confidence.get(name, 0.0):.2f}"
    if fate == "suggest":
        return words.say("suggested", value=value, confidence=confidence)
    return words.say("not_decided", value=value, confidence=confidence)


def _confidence_line(triage: Triage, decided: Mapping[str, Decision], words: Wording) -> str:
    if not decided:
        return words.label("confidence", f"{triage.analysis.confidence:.2f}")
    parts = ", ".join(f"{n} {triage.field_confidence[n]:.2f}" for n in decided)
    return words.label("confidence_calibrated", parts)


def render_fields(
    fields: HelpdeskFields,
    titles: Mapping[str, str],
    shown: Mapping[str, str] | None = None,
    words: Wording | None = None,
) -> list[str]:
    """The fields the triage fills, by title, each value as agents see it (``shown``: a
    drop-down's option name, where the helpdesk writes a tag), made inert (it is the ticket's
    text)."""
    if not fields:
        return []
    lines = ["", (words or wording(DEFAULT_LANGUAGE)).say("fields_filled")]
    for key, value in fields.items():
        text = (shown or {}).get(key, str(value))
        lines.append(f"- {_inert(titles.get(key, key))}: {_inert(text)}")
    return lines


def render_route(decision: RouteDecision, words: Wording | None = None) -> list[str]:
    """The note's routing section: which route did what, and why."""
    if not decision.routes:
        return []
    say = (words or wording(DEFAULT_LANGUAGE)).say
    lines = ["", say("routing")]
    if decision.group_route and decision.kept:
        lines.append("- " + say("group_kept", kept=decision.kept, route=decision.group_route))
    elif decision.group_route and decision.group_name:
        whom = say("assignee", name=decision.assignee_name) if decision.assignee_name else ""
        group = say(
            "group_set", group=decision.group_name, assignee=whom, route=decision.group_route
        )
        lines.append("- " + group)
    if decision.escalate:
        lines.append("- " + say("escalated", routes="; ".join(decision.escalated_by)))
    elif decision.escalation_held:
        routes = "; ".join(decision.escalated_by)
        lines.append("- " + say("escalation_held", routes=routes, why=decision.escalation_held))
    lines += ["- " + say("matched", reason=reason) for reason in decision.reasons]
    return [lines[0], *(_inert(line) for line in lines[1:])]


def render_spam(triage: Triage, words: Wording | None = None) -> list[str]:
    """The note's spam section: the gate's verdict and why (none for a customer's ticket), in
    the note's language: the gate's English reasons said again from the note's table."""
    spam = triage.spam
    if spam is None:
        return []
    say = words or wording(DEFAULT_LANGUAGE)

    def kind_word(kind: str) -> str:
        key = f"spam_kind_{kind.replace(' ', '_')}"
        return say.say(key) if key in say.words else kind

    def recast(name: str, value: str) -> str:
        return kind_word(value) if name == "kind" else value

    head = say.say("spam_applied" if spam.applied else "spam_suggested", kind=kind_word(spam.kind))
    reasons = (say_again(r, say, SPAM_REASON_KEYS, recast) for r in spam.reasons)
    return ["", head, *(_inert(f"- {reason}") for reason in reasons)]


def render_risk(triage: Triage, words: Wording | None = None) -> list[str]:
    """The note's risk line: the level, the probability, where it came from and why, in the
    note's language (the level is the tag's value, as the fields' values are)."""
    risk = triage.risk
    if risk is None:
        return []
    say = words or wording(DEFAULT_LANGUAGE)
    source = say.say("risk_learned" if risk.source == "learned" else "risk_rules")
    head = say.say(
        "risk_head", level=risk.level, probability=f"{risk.probability:.2f}", source=source
    )
    return ["", head, *(_inert(f"- {say_again(reason, say)}") for reason in risk.reasons)]


def engine_source(triage: Triage, words: Wording | None = None) -> str:
    """Which engine decided, as a note's header names it."""
    say = (words or wording(DEFAULT_LANGUAGE)).say
    names = {
        "llm": say("engine_llm", model=triage.model),
        "learned": say("engine_learned"),
        "rules": say("engine_rules"),
    }
    return names[triage.engine]


@dataclass(frozen=True)
class NoteLanguage:
    """The note's language and what the LLM gave in it. ``language``: the agent's (an ISO
    639-1 code; a code without a table gets English labels). ``message``: the customer's
    message translated into it, when the customer wrote in another language; ``missing`` says
    why there is none (no LLM in the run, or the LLM did not answer): the note then names the
    message's language and says no translation is available, never a guess. ``summary`` and
    ``draft``: the analysis's summary and reply draft in the agent's language."""

    language: str = DEFAULT_LANGUAGE
    message: str | None = None
    missing: Literal["no_llm", "failed", "unchanged"] = "no_llm"
    summary: str | None = None
    draft: str | None = None

    def needs_translation(self, customer: str) -> bool:
        """True when the customer wrote in another (known) language than the agent reads."""
        return customer not in (self.language, "und")


# What the LLM wrote for a section of the note is cut at this many characters: a translation
# is the customer's message (itself cut to the input budget) in another language, and a hostile
# or broken one must not fill a note (one of 252 KB was written before this bound).
SECTION_CHARS = 6000
# The summary, in the agent's language, is one line.
SUMMARY_CHARS = 1000
CUT = " […]"


def bounded(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (at a space where there is one), ``[…]``
    saying it was cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(CUT)]
    if " " in head[-80:]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + CUT


def quoted_block(text: str) -> list[str]:
    """Someone else's words (the customer's message, as the LLM translated it), every line
    quoted: none of it can pass for a line of the note, whatever it says."""
    return [f"> {line}" for line in text.splitlines() if line.strip()]


def translation_lines(customer: str, note: NoteLanguage, words: Wording) -> list[str]:
    """The customer's message in the agent's language, or why there is none; nothing when the
    customer wrote in the agent's language. The LLM wrote the translation: it is made plain
    as its summary is (no markup, no link, no control character), cut at ``SECTION_CHARS``
    and quoted as the customer's, every line."""
    if not note.needs_translation(customer):
        return []
    if note.message:
        said = bounded(llm_text(note.message), SECTION_CHARS)
        return ["", words.say("translation"), *quoted_block(said)]
    keys = {"no_llm": "no_translation", "unchanged": "translation_unchanged"}
    return [words.say(keys.get(note.missing, "translation_failed"))]


def render_note(
    triage: Triage,
    *,
    priority: Priority | None,
    run_id: str,
    suggestions: Sequence[Suggestion] = (),
    route: RouteDecision | None = None,
    fields: HelpdeskFields | None = None,
    answers: int | None = None,
    field_titles: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    field_shown: Mapping[str, str] | None = None,
    language: NoteLanguage | None = None,
    threshold: float | None = None,
    forwards: bool = False,
) -> str:
    """The internal note: what ticketbot concluded and from what, then its trailer. A field
    decided per calibrated confidence says whether it was applied, suggested or left open; an
    uncalibrated analysis below ``threshold`` (the run's confidence threshold) says what that
    held back. ``language``: the agent's language and what the LLM gave in it (default:
    English). ``forwards``: the ticket forwards or quotes a mail (``triage.prepare``)."""
    analysis = triage.analysis
    decision = route or RouteDecision()
    speech = language or NoteLanguage()
    words = wording(speech.language)
    source = engine_source(triage, words)
    if triage.fallback:
        reason = f": {triage.fallback_reason}" if triage.fallback_reason else ""
        source += f" — {words.say('fallback')}{reason}"
    # What the LLM wrote is made plain first: no markup, links only to the given articles,
    # citations only of them, no control characters (``triage.note_text``).
    urls, given = [a.url for a in suggestions], len(suggestions)
    summary = llm_text(speech.summary or analysis.summary, urls=urls, articles=given)
    summary = bounded(_inert(summary), SUMMARY_CHARS)
    draft = bounded(llm_text(analysis.reply_draft or "", urls=urls, articles=given), SECTION_CHARS)
    lines = [
        _inert(f"{NOTE_HEADER} ({source})"),
        "",
        words.label("summary", _inert(summary)),
    ]
    decided = decisions or {}
    for name, value in field_values(analysis):
        line = words.label(name, _decided(value, decided.get(name), triage, name, words))
        if name == "urgency" and priority:
            line += " " + words.say("priority_set", priority=priority.value)
        lines.append(line)
    lines += [
        words.label("language", words.language_name(analysis.language)),
        _confidence_line(triage, decided, words),
    ]
    if not decided and threshold is not None and analysis.confidence < threshold:
        held = words.say(
            "held_back", confidence=f"{analysis.confidence:.2f}", threshold=f"{threshold:.2f}"
        )
        lines.append(held)
    lines += [words.say("forwards_mail")] if forwards else []
    lines += translation_lines(analysis.language, speech, words)
    lines += render_fields(fields or {}, field_titles or {}, field_shown, words)
    lines += render_suggestions(suggestions, words)
    if draft:
        lines += ["", words.say("draft"), *inert_block(draft)]
        if speech.draft and speech.needs_translation(analysis.language):
            agent = bounded(llm_text(speech.draft, urls=urls, articles=given), SECTION_CHARS)
            title = words.say("draft_agent", language=words.language_name(speech.language))
            lines += ["", title, *inert_block(agent)]
    lines += render_spam(triage, words)
    lines += render_risk(triage, words)
    lines += render_route(decision, words)
    trailer = NoteTrailer(
        category=analysis.category,
        subcategory=analysis.subcategory,
        urgency=analysis.urgency.value,
        sentiment=analysis.sentiment.value,
        language=analysis.language,
        engine=triage.engine,
        model=triage.model,
        priority=priority.value if priority else None,
        group_id=decision.group_id,
        assignee_id=decision.assignee_id,
        escalated=decision.escalate,
        articles=tuple(a.article_id for a in suggestions if a.in_help_centre),
        answers=answers,
        fields={k: str(v) for k, v in (fields or {}).items()},
        applied=tuple(n for n, _ in field_values(analysis) if decided.get(n, "apply") == "apply")
        if decided
        else None,
    )
    lines += ["", f"run {_inert(run_id)}", trailer.line()]
    return "\n".join(lines)
