"""Public macros as entries of the help-centre index, so the answers may send one's text.

With answers on, a macro's public reply is a grounded source like an article: rather than a
second answer path, each macro that may reach a customer is indexed beside the help centre (as
the team's documents are, ``kb.documents``), and the answers find, weigh, guard and send it
exactly as they do an article — the same gate, ladder, grounding, once per ticket and never
over an agent. A macro is indexed only when all of these hold:

- its comment is public (a Zendesk macro writing an internal note never is; every Freshdesk
  canned response the sync reads is a public reply);
- its placeholders can be rendered without the ticket: a name placeholder
  (``{{ticket.requester.first_name}}``, ``{{current_user.name}}``, Freshdesk's
  ``{{ticket.requester.name}}``, ``{{ticket.agent.name}}``...) is removed, since the answer's
  own greeting names the customer; any other placeholder (a ticket's id, a custom field,
  dynamic content) or a liquid tag (``{% if %}``) refuses the macro, because its text without
  them may say something else than the team wrote;
- it asks the customer for no secret (a password, a card number, a code): the check the
  answers already run on an LLM's answer (``triage.screen.asks_for_secret``).

A macro whose reply reports an action done or promised ("We have issued your refund") is
indexed, yet the answers never send it (``triage.done_claims``): the note names it and says
why, and the sync lists it as suggested to agents only.

An entry's id is negative and below the documents' range (``kb.documents.DOCUMENT_IDS``): the
helpdesk's sync and the documents' sync both leave it alone. Its ``url`` is ``macro <id>``,
which the note shows an agent and the reply never links (``answers.compose`` links only web
addresses). The entries follow the macro book: ``macros sync`` (and a run's re-sync of the
book) and ``kb sync`` bring them in line with the book's macros, removing those gone.
"""

from __future__ import annotations

import hashlib
import html
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TicketBotError
from ..kb.documents import DOCUMENT_IDS
from ..kb.index import INDEX_FILE, ArticleIndex
from ..kb.sources import put_entries
from ..kb.text import words
from ..models import Article
from ..models.ready_reply import ReadyReply
from ..triage.done_claims import reports_action
from ..triage.language import detect_language
from ..triage.screen import asks_for_secret

if TYPE_CHECKING:
    from ..kb.dense import Embed

# Placeholders naming a person: the answer's template greets the customer itself, and a
# sign-off's agent name is no part of the answer, so these are removed, never filled in.
NAME_PLACEHOLDERS = frozenset(
    {
        "ticket.requester.first_name",
        "ticket.requester.firstname",
        "ticket.requester.name",
        "ticket.requester.last_name",
        "ticket.requester.lastname",
        "ticket.assignee.first_name",
        "ticket.assignee.name",
        "ticket.agent.name",
        "ticket.agent.first_name",
        "current_user.first_name",
        "current_user.name",
        "ticket.account",
        "helpdesk_name",
        "ticket.portal_name",
    }
)
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# A name and the comma or space before it: "Thanks, {{name}}." becomes "Thanks."
_NAME_AND_LEAD = re.compile(r"(?:,[ \t]*|[ \t]+)?\{\{\s*([^{}]*?)\s*\}\}")
_LIQUID = re.compile(r"\{%.*?%\}|\{%|%\}", re.DOTALL)
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([,.!?;:])")
_LONE_MARKS = re.compile(r"^[\s,.!?;:-]*$")
# A line left with this few words once a name is out was a greeting or a sign-off.
GREETING_WORDS = 3


class Unrenderable(ValueError):
    """The macro's text cannot be sent without the ticket it would be applied on."""


def rendered(text: str) -> str:
    """``text`` with its name placeholders removed (and a line left as a bare greeting or
    sign-off dropped); raises ``Unrenderable`` for any other placeholder or liquid tag."""
    if _LIQUID.search(text):
        raise Unrenderable("a liquid tag ({% ... %})")
    lines: list[str] = []
    for line in text.splitlines():
        names = _PLACEHOLDER.findall(line)
        for name in names:
            if name.split("|")[0].strip().lower() not in NAME_PLACEHOLDERS:
                raise Unrenderable(f"the placeholder {{{{{name[:60]}}}}}")
        if not names:
            lines.append(line)
            continue
        kept = _SPACE_BEFORE_MARK.sub(r"\1", _NAME_AND_LEAD.sub("", line)).strip(" \t,;:")
        if len(kept.split()) >= GREETING_WORDS and not _LONE_MARKS.match(kept):
            lines.append(kept[:1].upper() + kept[1:])  # a name that began the sentence
    found = "\n".join(lines).strip()
    if "{{" in found or "}}" in found:
        raise Unrenderable("an unclosed placeholder")
    return found


def refusal(macro: ReadyReply) -> str | None:
    """Why ``macro`` may not answer a customer (None: it may)."""
    if not macro.public:
        return "an internal note"
    try:
        text = rendered(macro.text)
    except Unrenderable as exc:
        return f"cannot be rendered without its ticket: {exc}"
    if not text:
        return "writes no reply"
    secret = asks_for_secret(text)
    if secret is not None:
        return f"asks for a secret: {secret}"
    return None


def entry_id(macro_id: int) -> int:
    """A stable negative id below the documents' range, four bytes of hash like theirs: the id
    ends up in the answer's tag (``ai_answer_article_<id>``), which Freshdesk caps at 32
    characters, and a Zendesk macro's own id may be 14 digits long."""
    digest = hashlib.blake2b(f"macro\0{macro_id}".encode(), digest_size=4).digest()
    return -(DOCUMENT_IDS + 1 + int.from_bytes(digest, "big"))


def is_macro_entry(article_id: int) -> bool:
    return article_id < -DOCUMENT_IDS


class LiveMacros:
    """Which macros' entries the helpdesk still has: a macro deleted or turned off there after
    the sync stays in the index until the next sync, and was still quoted to customers. Listed
    (``listing``: the adapter's ``macros``) at the first macro an answer would quote, and again
    once ``MAX_AGE`` seconds old (``serve`` runs for days); a listing that fails quotes none."""

    MAX_AGE = 600.0

    def __init__(
        self,
        listing: Callable[[], Sequence[ReadyReply]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._listing = listing
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: frozenset[int] | None = None
        self._at = 0.0

    def live(self, article_id: int) -> bool:
        """Whether ``article_id`` is not a macro's entry, or its macro is still there."""
        if not is_macro_entry(article_id):
            return True
        with self._lock:
            now = self._clock()
            if self._entries is None or now - self._at >= self.MAX_AGE:
                try:
                    found = self._listing()
                except TicketBotError:
                    found = ()
                self._entries = frozenset(entry_id(m.id) for m in found)
                self._at = now
            return article_id in self._entries


def entry_of(macro: ReadyReply) -> Article | None:
    """The index entry of a macro that may answer a customer; None for one that may not."""
    if refusal(macro) is not None:
        return None
    text = rendered(macro.text)
    return Article(
        id=entry_id(macro.id),
        title=" ".join(macro.title.split()),
        # The index reads bodies as HTML: the macro's plain text is escaped.
        body=html.escape(text).replace("\n", "<br>"),
        url=f"macro {macro.id}",
        locale=detect_language(words(text), text),
        updated_at=hashlib.sha256(f"{macro.title}\0{text}".encode()).hexdigest(),
        visibility="everyone",
    )


@dataclass
class MacroEntriesReport:
    """What one pass did; ``refused``: each macro left out and why (said, never quoted)."""

    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    refused: list[str] = field(default_factory=list)
    # Indexed macros whose reply reports an action done ("We have issued your refund"): the
    # answers hold them back on every ticket (``plan.decide``), so they are said at the sync.
    suggest_only: list[str] = field(default_factory=list)
    failed: str | None = None  # the index could not be written: the entries are as they were

    def as_event(self) -> dict[str, object]:
        return {
            "indexed": self.indexed,
            "removed": self.removed,
            "refused": len(self.refused),
            "failed": self.failed,
        }


def sync_entries(
    index: ArticleIndex, macros: list[ReadyReply], *, embed: Embed | None = None
) -> MacroEntriesReport:
    """Bring the index's macro entries in line with ``macros``, one transaction."""
    report = MacroEntriesReport()
    kept: list[Article] = []
    taken: dict[int, int] = {}
    for macro in macros:
        reason = refusal(macro)
        entry = entry_of(macro) if reason is None else None
        if entry is None:
            report.refused.append(f"macro {macro.id}: {reason}")
            continue
        if taken.setdefault(entry.id, macro.id) != macro.id:
            report.refused.append(f"macro {macro.id}: same entry as macro {taken[entry.id]}")
            continue
        kept.append(entry)
        done = reports_action(rendered(macro.text))
        if done is not None:
            report.suggest_only.append(f'macro {macro.id}: reports an action done ("{done}")')
    put = put_entries(index, kept, is_macro_entry, embed=embed)
    report.indexed, report.unchanged, report.removed = put.indexed, put.unchanged, put.removed
    return report


def index_macros(
    state_dir: Path, macros: list[ReadyReply], *, embed: Embed | None = None
) -> MacroEntriesReport:
    """``sync_entries`` on the state directory's help-centre index. An index that cannot be
    written (a full disk, a read-only file) is said in the report, never raised: the macros'
    suggestions do not need it, and the answers use the entries as they were."""
    try:
        index = ArticleIndex(state_dir / INDEX_FILE)
    except (sqlite3.Error, OSError) as exc:
        return MacroEntriesReport(failed=f"{type(exc).__name__}: {exc}"[:300])
    try:
        return sync_entries(index, macros, embed=embed)
    except (sqlite3.Error, OSError) as exc:
        return MacroEntriesReport(failed=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        index.close()


def summary(report: MacroEntriesReport) -> str:
    """One line for ``macros sync`` and ``kb sync``, and one per macro left out."""
    if report.failed is not None:
        return (
            f"macros not put in the help-centre index ({report.failed}); the answers use "
            "them as last indexed"
        )
    done = [f"{report.indexed + report.unchanged - len(report.suggest_only)} may answer customers"]
    if report.suggest_only:
        done.append(f"{len(report.suggest_only)} suggested to agents only")
    if report.removed:
        done.append(f"{report.removed} removed")
    lines = [f"macros in the help-centre index: {'; '.join(done)}"]
    lines += [f"  not for answers: {reason}" for reason in report.refused]
    lines += [
        f"  suggested only, never sent: {reason}: only an agent who did it may say so"
        for reason in report.suggest_only
    ]
    return "\n".join(lines)
