"""The spam gate's verdict on a new ticket, from the head, the sender cues and the LLM's view.

How the three are weighed (the head's thresholds come from its cross-validated calibration,
``spam/head.py``):

- the helpdesk's own spam flag applies a verdict, whatever else says;
- a stranger's mail is gated only on proof (``proof``: a bounce's delivery-status fields, a
  lure with a link to a look-alike host, bulk mail's structure), on proof alone; what the rules
  below would gate without it is a guess, and only suggested. Among those rules: the head at or
  above ``apply_at`` with a lure (``lures``; a deadline or a sum alone is a customer's word
  too), a sender cue, the LLM or an automatic message's words; alone it only suggests;
- the head between ``suggest_at`` and ``apply_at`` applies when a sender cue (a no-reply
  address), the LLM or two lure families agree, suggests with one, and is nothing on its own;
  a deadline or a sum alone is not that one (``SUGGESTS_ONLY_BESIDE``: "URGENT: checkout is
  down" and "zweimal 49,90 € abgebucht" are customers', and many customers' tickets score
  there);
- below ``suggest_at``, from ``LURE_FLOOR`` up, two lure families suggest;
- a sender cue or the LLM alone only suggests: a customer may write through a form whose
  mail comes from a no-reply address, and the LLM's word is not calibrated.
- a known customer (an organisation's requester, a known sender, a requester the helpdesk
  solved a ticket for before) is never gated on a guess: without the helpdesk's flag or the
  LLM agreeing, what would apply is only suggested (a mail administrator is a person);
- a customer's report ("is this from you?" above a forwarded or pasted mail: ``reading``) is a
  customer's ticket; a mail quoted beneath words of the sender's own is never gated.

What reads the ticket first is cheap: the sender cues, the helpdesk's flag, an automatic
message's words and the lure families. Without an LLM, a ticket none of them marks can only be
suggested by the head alone (or beside a deadline or a sum alone), and only from its
``apply_at`` up; beside a deadline and a sum together, from ``LURE_FLOOR`` up. The lexical
screen (``screen``) says where the head would not reach those, and there the encoder is not
run (``head_needed``): an ordinary customer's ticket costs no encoder pass, a run of them loads
no encoder, and the screen can cost a suggestion, never a mark.

An applied verdict keeps the ticket from answers, escalation and incidents and tags it
``<prefix><kind>``; a suggested one tags it ``<prefix>suggested_spam`` and the ticket is
triaged as a customer's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import TicketBotError
from ..models import SPAM_KINDS, SpamKind, SpamVerdict, Ticket, Triage
from .cues import PERSON_ROLES, SenderCues, sender_cues
from .proof import Proof, proof_of
from .reading import SpamReading, SpamText, read_ticket, take_text
from .signals import SpamSignals
from .signals import says_automatic as says_automatic  # re-exported: scripts/train.py

if TYPE_CHECKING:
    from .head import SpamHead, SpamScore
    from .screen import SpamScreen

Encode = Callable[[list[str]], Any]
_KNOWN_REQUESTERS_KEPT = 10_000  # a long-running serve forgets them now and then
# Below the head's suggest threshold, two lures suggest from here up: chosen on the dev sets
# (the GP spam of Enron-Spam, spam_examples.jsonl, spam_disguised.jsonl), where it suggested
# none of the customers' rows of spam_examples.jsonl.
LURE_FLOOR = 0.3
# Families a customer's own ticket shows as often as bulk mail does ("urgent", "immediately",
# "$29"): they count toward a suggestion, never alone toward gating a stranger.
CUSTOMERS_TOO = frozenset({"deadline", "price"})
# Alone, neither makes the head's middling score (``suggest_at`` up to ``apply_at``) a
# suggestion: customers write "urgent" and "immediately" when something is broken, and name the
# sum they were charged twice ("zweimal 49,90 € abgebucht"), and many of their tickets, long or
# not in English, score there. On the dev sets a sum alone suggested 2 of the 484 customers'
# tickets and 1 of the 79 long sample tickets (a German bill), and carried 1 of the 349 SMS spam
# and none of the disguised or proved mails (an earlier round counted 68 of Enron-Spam's 5,992
# GP spam mails, 1.1 %). Beside another family each still counts, and so does a deadline beside
# an automatic message's words: an out-of-office reply names "urgent matters".
SUGGESTS_ONLY_BESIDE = frozenset({"deadline", "price"})


def verdict(
    score: SpamScore,
    cues: SenderCues,
    llm: str | None,
    head: SpamHead,
    *,
    automatic: bool = False,
    report: bool = False,
    forwarded: bool = False,
    form: bool = False,
    lures: frozenset[str] = frozenset(),
    chat: bool = False,
    proof: Proof | None = None,
    quoting: bool = False,
) -> SpamVerdict | None:
    """The verdict (None: a customer's ticket). ``llm``: the LLM's answer (``none`` or a kind),
    None when it was not asked. ``automatic``: the text says it is an automatic message (an
    out-of-office's, a bounce's words: ``triage.reply_cues``). ``report``: the sender's words
    report or ask about a mail they received; ``forwarded``: the ticket forwards or quotes one;
    ``form``: a web form's mail (``reading``); ``lures``: what the mail asks of its reader
    (``lures.lure_families``, a sum as ``price``: ``chat.with_price``); ``chat``: the text is a
    short chat-like message (``chat.chat_like``). ``proof``: what the mail shows of itself
    that no customer's does (``proof.proof_of``); ``quoting``: it forwards or quotes a mail
    beneath words of its own.

    A stranger (no known customer, no helpdesk's flag) is gated on proof alone, and never
    without it: the head, a no-reply address and the lures are guesses about someone the
    helpdesk never saw (a booking system's no-reply address, a complaint in an offer's words),
    and what they would gate is only suggested. A ticket that quotes a mail beneath words of
    its own is a report of that mail, whoever sends it: never gated."""
    if report and not cues.helpdesk_spam:
        return None
    stranger = cues.known is None and not cues.helpdesk_spam
    if stranger and proof is not None and not quoting:
        said = [f"learned model: {score.kind.replace('_', ' ')} {score.probability:.2f}"]
        said += [f"LLM: {llm.replace('_', ' ')}"] if llm is not None else []
        return SpamVerdict(kind=proof.kind, decision="apply", probability=score.probability,
                           reasons=(*said, f"the mail proves it: {proof.shown}"))  # fmt: skip
    found = guess(
        score, cues, llm, head, automatic=automatic, forwarded=forwarded, form=form,
        lures=lures, chat=chat,
    )  # fmt: skip
    if found is None or not found.applied or not stranger:
        return found
    why = STRANGER_GUESS
    if quoting:
        why = "forwards or quotes a mail beneath words of its own: a report, never gated"
    return found.model_copy(update={"decision": "suggest", "reasons": (*found.reasons, why)})


def guess(
    score: SpamScore,
    cues: SenderCues,
    llm: str | None,
    head: SpamHead,
    *,
    automatic: bool = False,
    forwarded: bool = False,
    form: bool = False,
    lures: frozenset[str] = frozenset(),
    chat: bool = False,
) -> SpamVerdict | None:
    """What the head, the sender cues, the LLM and the lures would decide together: the verdict
    on a known customer or a ticket the helpdesk flagged, and on a stranger what ``verdict``
    holds to proof (what this applies without proof, it suggests)."""
    cues, llm_kind = _as_read(cues, llm, automatic=automatic, form=form)
    p = score.probability
    strong, weak = p >= head.apply_at, p >= head.suggest_at
    if score.kind == "auto_sender" and cues.machine is None and llm_kind is None:
        # The head alone calls some plain customers' tickets a machine's (a courier's parcel
        # left in the rain, on an outage hour it never saw): with no machine's address, no
        # LLM agreeing and no words of an automatic message, it does not apply (alone: nothing).
        strong = strong and automatic
    chat_alone = chat and cues.machine is None and llm_kind is None
    if chat_alone:
        # A short chat-like message (``chat.chat_like``): people text a company as they text
        # a friend, and the head, fitted on bulk mail, is sure of many such messages. Alone it
        # decides nothing there: a machine's address or the LLM must agree. An automatic
        # message's words ("out of office until Monday") with it only suggest: a customer
        # writes "two emails and no answer" as briefly.
        strong = False
        weak = weak and automatic and score.kind == "auto_sender"
    reasons = [f"learned model: {score.kind.replace('_', ' ')} {p:.2f}"]
    if cues.helpdesk_spam:
        reasons.append("the helpdesk marked it as spam")
    if cues.machine is not None:
        reasons.append(f"sent from a machine's address ({cues.machine}@…)")
    if llm is not None:
        reasons.append(f"LLM: {llm.replace('_', ' ')}")
    if chat_alone:
        reasons.append("a short chat-like message: the learned model alone decides nothing")
    if forwarded:
        reasons.append("forwards or quotes a mail (its sender's own words were judged)")
    if lures:
        reasons.append(f"asks what bulk mail or phishing asks ({', '.join(sorted(lures))})")
    kind: SpamKind = score.kind
    if not weak:
        kind = llm_kind or ("auto_sender" if cues.machine is not None else "spam")
    elif kind == "auto_sender" and lures and cues.machine is None and llm_kind is None:
        # A lure is bulk mail's or phishing's, not a machine's automatic reply: with no
        # machine's address and no automatic message's words, the head's "machine" is wrong.
        kind = kind if automatic else ("phishing" if "credential" in lures else "spam")
    if cues.helpdesk_spam:
        return SpamVerdict(kind=kind, decision="apply", probability=p, reasons=tuple(reasons))
    agrees = cues.machine is not None or llm_kind is not None
    # "Urgent" or "$29" is a customer's word as often as bulk mail's: alone, neither gates a
    # stranger, and a deadline adds no suggestion to a middling head (``SUGGESTS_ONLY_BESIDE``).
    gating = lures - CUSTOMERS_TOO
    if cues.known is not None:
        # Only the LLM's word with the head's makes a known customer's ticket a machine's: a
        # customer's own mail administrator writes from ``postmaster@``.
        decision = "apply" if weak and llm_kind is not None else "suggest"
        if not (strong or agrees):
            return None
        if decision == "suggest":
            reasons.append("a known customer: a guess is only suggested")
    elif not chat_alone and (
        (weak and agrees)
        or (llm != "none" and ((strong and (gating or automatic)) or (weak and len(gating) >= 2)))
    ):
        decision = "apply"
    elif (
        strong
        or agrees
        or (weak and (lures - SUGGESTS_ONLY_BESIDE or (lures and automatic) or chat_alone))
        or (p >= LURE_FLOOR and len(lures) >= 2)
        or ("marketing" in gating and len(gating) >= 2)
    ):
        # An SEO pitch after a customer-like question ("where is my invoice? Also, our agency
        # gets you to the first page of Google, free audit"): the question lowers the head's
        # score of the whole, the pitch's two families still say who wrote it.
        # What would gate a stranger needs two signals that agree (and then proof: ``verdict``):
        # the head and the sender's address, the LLM, an automatic message's words or what the mail
        # asks of its reader (``lures``). The head alone, however sure, only suggests: it is sure
        # of some customers' security teams and mail administrators too. Between its thresholds
        # with nothing the mail asks, it suggests nothing: a tag on that many customers' long or
        # non-English tickets is noise a team learns to ignore.
        decision = "suggest"
        if strong and not (agrees or lures or automatic):
            reasons.append("a stranger's mail: the learned model alone only suggests")
    else:
        return None
    return SpamVerdict(kind=kind, decision=decision, probability=p, reasons=tuple(reasons))


def _as_read(
    cues: SenderCues, llm: str | None, *, automatic: bool, form: bool
) -> tuple[SenderCues, SpamKind | None]:
    """The sender cues and the LLM's kind as ``verdict`` weighs them. A web form's no-reply
    address is the form's, and a mail administrator writes from postmaster@: neither says a
    machine wrote the words (a bounce's words would). The LLM read a form's whole mail, its
    footer too ("this is an automated message"): a form is a machine relaying a person's
    words, so the LLM's "machine" decides nothing there."""
    if form or (cues.machine in PERSON_ROLES and not automatic):
        cues = replace(cues, machine=None)
    llm_kind: SpamKind | None = next((k for k in SPAM_KINDS if k == llm), None)
    if form and llm_kind == "auto_sender":
        llm_kind = None
    return cues, llm_kind


def head_needed(
    cues: SenderCues,
    llm: str | None,
    *,
    automatic: bool,
    lures: frozenset[str],
    chat: bool = False,
    spares: Callable[[bool], bool],
) -> bool:
    """Whether the head must read the ticket for ``verdict`` to decide it.

    A sender cue, the helpdesk's flag, the LLM's word or an automatic message's words always
    need it, and so does a lure family that gates a stranger beside the head (all but
    ``CUSTOMERS_TOO``): with them the head's score can mark the ticket. A chat-like message
    (``chat.chat_like``) with fewer than two lure families is a customer's whatever the head
    says. What is left can only be *suggested*: by the head alone (or beside a deadline or a
    sum alone) from its ``apply_at`` up, or beside both from ``LURE_FLOOR`` up. There
    ``spares(with_lures)`` (the lexical screen) says whether the head would not reach that far,
    and then the ticket is a customer's unread: the screen can cost a suggestion, never a
    mark."""
    if cues.any or llm is not None or automatic:
        return True
    if chat and len(lures) < 2:
        return False
    if lures - CUSTOMERS_TOO:
        return True
    return not spares(bool(lures - SUGGESTS_ONLY_BESIDE) or len(lures) >= 2)


# The reason ``verdict`` gives when what would gate a stranger is only suggested.
STRANGER_GUESS = "a stranger's mail that proves nothing of itself: a guess is only suggested"
# The reason ``verdict`` gives when what would apply is only suggested: a known customer.
KNOWN_GUESS = "a known customer: a guess is only suggested"
KNOWN_TALLY = "known_customer"


class SpamGate:
    """Judges new tickets. ``head`` and ``encode``: the head and the encoder it was fitted on;
    None: the packaged head and the run's ``learned.embed.Encoder`` (whose memo the learned
    engine and the incidents share), loaded at the first ticket that needs them.

    An LLM that says a customer wrote the ticket, with no sender cue, is taken at its word and
    the head is not asked: an LLM run loads neither numpy nor the encoder (about 100 MB) for
    its customers' tickets. Without an LLM, the lexical screen (``screen``; None: the packaged
    one) spares the head what no cheap signal marks and the screen calls a customer's
    (``head_needed``). Every other ticket is scored by the head."""

    def __init__(
        self,
        head: SpamHead | None = None,
        encode: Encode | None = None,
        *,
        screen: SpamScreen | None = None,
        known_senders: Sequence[str] = (),
        requester_known: Callable[[int], bool | None] | None = None,
    ) -> None:
        self._head = head
        self._encode = encode
        self._screen = screen
        self.known_senders = tuple(known_senders)
        # The helpdesk's word on a requester the gate would gate: a ticket solved before makes
        # them a known customer. Asked only then, once a requester (a run's or a serve's).
        self._requester_known = requester_known
        self._known_requesters: dict[int, bool] = {}
        self._lock = threading.Lock()
        # The run's verdicts: "<kind>" applied, "suggested", "lifted" (``SpamRunPass`` reports
        # them), and the tickets each verdict tagged (or, lifted, untagged).
        self._tally: dict[str, int] = {}
        self._tickets: dict[str, list[int]] = {}
        # Of the tickets no LLM had a word on: those the head read, and those the cheap signals
        # and the screen decided without it.
        self._reads = {"head_read": 0, "head_spared": 0}
        self._judged = 0  # new tickets judged: the run's line is said whenever there were any

    def tally(self) -> dict[str, int]:
        with self._lock:
            return dict(self._tally)

    def tickets(self) -> dict[str, list[int]]:
        """The tickets behind ``tally``'s verdicts (``<kind>``, ``suggested``, ``lifted``)."""
        with self._lock:
            return {key: sorted(ids) for key, ids in self._tickets.items()}

    def _count(self, key: str, ticket_id: int) -> None:
        with self._lock:
            self._tally[key] = self._tally.get(key, 0) + 1
            self._tickets.setdefault(key, []).append(ticket_id)

    def lifted(self, ticket_id: int) -> None:
        """A gated ticket's requester wrote again as a customer: its verdict is lifted
        (``step.SpamStep.judge_reply``), counted with the run's verdicts."""
        self._count("lifted", ticket_id)

    def judged(self) -> int:
        """How many new tickets the gate judged (a reply judged again is not one)."""
        with self._lock:
            return self._judged

    def reads(self) -> dict[str, int]:
        """Of the tickets judged without an LLM's word, how many the head read (``head_read``:
        an encoder pass each, unless the memo had it) and how many it was spared
        (``head_spared``)."""
        with self._lock:
            return dict(self._reads)

    def head_needed(
        self, cues: SenderCues, llm: str | None, reading: SpamReading, signals: SpamSignals
    ) -> bool:
        """``head_needed`` with the gate's screen (loaded at the first ticket that asks)."""

        def spares(with_lures: bool) -> bool:
            return self._loaded_screen().spares(reading.text, lures=with_lures)

        proved = proof_of(reading.text, signals.lures, cues.machine, signals.automatic)
        needed = proved is not None or head_needed(
            cues,
            llm,
            automatic=signals.automatic,
            lures=signals.lures,
            chat=signals.chat,
            spares=spares,
        )
        if llm is None:
            with self._lock:
                self._reads["head_read" if needed else "head_spared"] += 1
        return needed

    def _parts(self) -> tuple[SpamHead, Encode]:
        with self._lock:
            if self._head is None:
                from .head import load_spam_head

                self._head = load_spam_head()
            if self._encode is None:
                from ..learned.embed import Encoder

                self._encode = Encoder().encode
            return self._head, self._encode

    def warm(self) -> None:
        """Load the screen now, before the first ticket. The head and the encoder load at the
        first ticket that needs them (``head_needed``): a run whose tickets never do loads
        neither numpy nor the encoder."""
        self._loaded_screen()

    def _loaded_screen(self) -> SpamScreen:
        if self._screen is None:
            from .screen import load_spam_screen

            self._screen = load_spam_screen()  # read once a process: two threads get one
        return self._screen

    @property
    def head(self) -> SpamHead:
        return self._parts()[0]

    def scores(self, texts: Sequence[str]) -> list[SpamScore]:
        import numpy as np

        head, encode = self._parts()
        vectors = np.asarray(encode(list(texts)), np.float32)
        return [head.score(row) for row in vectors]

    def read(self, ticket: Ticket, max_tokens: int = 2000) -> SpamReading:
        """What the head will read of ``ticket`` (its full text: before the run drops it)."""
        return read_ticket(ticket.subject, ticket.description, max_tokens=max_tokens)

    def take(self, ticket: Ticket, max_tokens: int = 2000) -> SpamText:
        """What ``read`` takes of ``ticket``'s text before it reads it (``SpamText.reading``)."""
        return take_text(ticket.subject, ticket.description, max_tokens=max_tokens)

    def judge(
        self,
        ticket: Ticket,
        reading: SpamReading | Callable[[], SpamReading],
        triage: Triage,
        *,
        counted: bool = True,
    ) -> Triage:
        """``triage`` with the gate's verdict on ``ticket`` (``reading``: what its sender wrote,
        as ``read_ticket`` made it from the ticket's own text, or what makes it: then it is
        made only when the LLM's word does not settle the ticket). ``counted``: the verdict is
        one the run tags, and so counts in its line (a gated ticket's reply judged again is
        not: it tags nothing, or lifts the verdict)."""
        if counted:
            with self._lock:
                self._judged += 1
        cues = sender_cues(ticket, self.known_senders)
        llm = triage.analysis.spam if triage.engine == "llm" else None
        if llm == "none" and not cues.any:
            return triage
        if callable(reading):
            reading = reading()
        if reading.report and not cues.helpdesk_spam:
            return triage
        signals = SpamSignals.of(reading)
        if not self.head_needed(cues, llm, reading, signals):
            return triage
        score = self.scores([reading.text])[0]
        found = self.decide(score, cues, llm, reading, signals)
        if found is not None and found.applied and self._answered_before(ticket, cues):
            found = self.decide(
                score, replace(cues, known="answered before"), llm, reading, signals
            )
        if found is None:
            return triage
        if counted:
            self._count(found.kind if found.applied else "suggested", ticket.id)
            if KNOWN_GUESS in found.reasons:  # the run's caution says how many (``run_pass``)
                self._count(KNOWN_TALLY, ticket.id)
        return triage.model_copy(update={"spam": found})

    def decide(
        self,
        score: SpamScore,
        cues: SenderCues,
        llm: str | None,
        reading: SpamReading,
        signals: SpamSignals,
    ) -> SpamVerdict | None:
        """``verdict`` on what the gate read of a ticket and the head's score of it."""
        return verdict(
            score,
            cues,
            llm,
            self.head,
            automatic=signals.automatic,
            report=reading.report,
            forwarded=reading.forwarded,
            form=reading.form,
            lures=signals.lures,
            chat=signals.chat,
            proof=proof_of(reading.text, signals.lures, cues.machine, signals.automatic),
            quoting=reading.quoting,
        )

    def _answered_before(self, ticket: Ticket, cues: SenderCues) -> bool:
        """Whether the helpdesk says the requester had a ticket solved before (asked once a
        requester; a failed or unanswered look-up is no: the verdict stands)."""
        requester = ticket.requester_id
        if self._requester_known is None or requester is None or cues.known or cues.helpdesk_spam:
            return False
        with self._lock:
            known = self._known_requesters.get(requester)
        if known is None:
            try:
                known = self._requester_known(requester) is True
            except TicketBotError:
                known = False
            with self._lock:
                if len(self._known_requesters) >= _KNOWN_REQUESTERS_KEPT:
                    self._known_requesters.clear()
                self._known_requesters[requester] = known
        return known
