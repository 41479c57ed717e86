"""The keyword-rules engine: the analysis ticketbot falls back to when the LLM fails.

Everything the rules know comes from the taxonomy file (``taxonomy.py``): per category
keywords, phrases, weights and negations, and the urgency and sentiment cue tables. This module
only scores: each distinct cue found counts once (repeating a word does not add up, so text
stuffed with "refund refund refund" is no stronger than one honest mention), subject cues count
``subject_factor`` times, and words right after an instruction-like phrase (``categorise as``)
are ignored. Pure, no I/O, and safe to share between threads once built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Analysis, Sentiment, Urgency
from .cues import CueIndex, tokenise
from .language import detect_language
from .taxonomy import CueSet, Taxonomy

SUMMARY_LIMIT = 300
SUMMARY_SENTENCES = 2
# Confidence the rules report when no cue matched at all: a guess, and saying so.
NO_MATCH_CONFIDENCE = 0.1
# Never claim certainty: keyword rules can always be fooled.
MAX_CONFIDENCE = 0.9

# The greeting ends at its first comma, "!", line break or colon (the shortest match: a later
# comma is the customer's own sentence), and never inside a link: a colon that ends a greeting
# is followed by a space, so "Hello, click http://..." loses only "Hello,", not the scheme and
# the word before it.
_GREETING = re.compile(
    r"^(dear|hello|hi|hey|good (morning|afternoon|evening)|greetings|to whom)\b"
    r"[^.!?:\n]{0,60}?(?:[,!\n]|:(?=\s|$))",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BLOCK_TAG = re.compile(r"</?(br|p|div|li|tr|h\d)\b[^>]{0,200}>", re.IGNORECASE)
_MARKUP = re.compile(r"<[^>]{0,200}>|[*`#>]{1,3}|\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Weighted:
    """Where one cue counts: the table it belongs to, the entry, and its weight."""

    table: str  # "category", "urgency", "positive", "negative"
    key: str
    weight: float


class RulesEngine:
    """Scores a ticket against the taxonomy's cues; build once, call ``analyse`` per ticket."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._index = CueIndex()
        self._targets: dict[int, list[_Weighted]] = {}
        for category in taxonomy.categories:
            self._register("category", category.name, category)
            for sub in category.subcategories:
                self._register(_sub_table(category.name), sub.name, sub)
        for level, cues in taxonomy.urgency.levels().items():
            self._register("urgency", level.value, cues)
        self._register("positive", "positive", taxonomy.sentiment.positive)
        self._register("negative", "negative", taxonomy.sentiment.negative)
        # The instruction-like phrases in an index of their own: blanking what follows them
        # looks for these few cues only, not for every cue of the taxonomy.
        self._ignore = CueIndex()
        self._ignore_ids = self._ignore.add_all(taxonomy.rules.ignore_after)
        self._negators = frozenset(taxonomy.sentiment.negators)

    def _register(self, table: str, key: str, cues: CueSet) -> None:
        # Cues that read the same once tokenised ("question" and "question:") count once, at
        # the larger weight, so punctuation in the file cannot double a word's weight.
        merged: dict[int, float] = {}
        for cue, weight in cues.cue_weights().items():
            cue_id = self._index.add(cue)
            known = merged.get(cue_id)
            merged[cue_id] = weight if known is None or abs(weight) > abs(known) else known
        for cue_id, weight in merged.items():
            self._targets.setdefault(cue_id, []).append(_Weighted(table, key, weight))

    # -- the public call -------------------------------------------------------------

    def analyse(self, subject: str, body: str) -> Analysis:
        """Category, urgency, sentiment, language, summary and confidence of one ticket."""
        settings = self.taxonomy.rules
        subject_tokens = tokenise(subject[: settings.max_chars])
        body_tokens = tokenise(body[: settings.max_chars])
        scores = self._score(subject_tokens, body_tokens)
        category, confidence = self._category(scores.get("category", {}))
        return Analysis(
            category=category,
            subcategory=self._subcategory(category, scores.get(_sub_table(category), {})),
            urgency=self._urgency(scores.get("urgency", {}), category),
            sentiment=self._sentiment(scores),
            language=detect_language(
                subject_tokens + body_tokens[:400], f"{subject}\n{body[: settings.max_chars]}"
            ),
            summary=summarise(subject, body),
            confidence=confidence,
        )

    def says_critical(self, subject: str, body: str) -> bool:
        """Whether the ticket's words hold the taxonomy's critical cues ("production down",
        "data breach") at the urgency threshold, whichever level wins: a customer's "critical,
        asap" weighs as said hurry and can make the level high over an outage's words."""
        settings = self.taxonomy.rules
        scores = self._score(
            tokenise(subject[: settings.max_chars]), tokenise(body[: settings.max_chars])
        )
        critical = scores.get("urgency", {}).get(Urgency.CRITICAL.value, 0.0)
        return critical >= self.taxonomy.urgency.threshold

    def subcategory(self, subject: str, body: str, category: str) -> str | None:
        """The best subcategory of ``category`` for this ticket (whatever category the rules
        themselves would choose), or None."""
        if not self.taxonomy.subcategories_of(category):
            return None
        settings = self.taxonomy.rules
        scores = self._score(
            tokenise(subject[: settings.max_chars]), tokenise(body[: settings.max_chars])
        )
        return self._subcategory(category, scores.get(_sub_table(category), {}))

    # -- scoring ---------------------------------------------------------------------

    def _score(
        self, subject_tokens: list[str], body_tokens: list[str]
    ) -> dict[str, dict[str, float]]:
        """Per table and key, the summed weight of the distinct cues found."""
        factor = self.taxonomy.rules.subject_factor
        window = self.taxonomy.rules.ignore_window
        best: dict[int, float] = {}  # cue id -> multiplier (subject beats body)
        flipped: dict[int, bool] = {}  # cue id -> every occurrence follows a negator
        for tokens, multiplier in ((subject_tokens, factor), (body_tokens, 1.0)):
            self._ignore.blank_after(tokens, self._ignore_ids, window)
            for cue_id, positions in self._index.find(tokens).items():
                if cue_id not in self._targets:
                    continue
                best[cue_id] = max(best.get(cue_id, 0.0), multiplier)
                negated = all(self._negated(tokens, start) for start in positions)
                flipped[cue_id] = flipped.get(cue_id, True) and negated
        scores: dict[str, dict[str, float]] = {}
        sentiment = self.taxonomy.sentiment
        for cue_id, multiplier in best.items():
            for target in self._targets[cue_id]:
                table, key, weight = target.table, target.key, target.weight * multiplier
                if table in ("positive", "negative") and flipped[cue_id] and weight > 0:
                    # "not happy" is a negative cue, "not bad" a weakly positive one.
                    table = key = "negative" if table == "positive" else "positive"
                    weight *= sentiment.flip_factor
                entry = scores.setdefault(table, {})
                entry[key] = entry.get(key, 0.0) + weight
        return scores

    def _negated(self, tokens: list[str], start: int) -> bool:
        window = self.taxonomy.sentiment.negation_window
        if not self._negators or window == 0:
            return False
        return any(token in self._negators for token in tokens[max(0, start - window) : start])

    def _category(self, scores: dict[str, float]) -> tuple[str, float]:
        """The best-scoring category and a confidence from its margin over the runner-up."""
        ranked = sorted(
            (
                (score, -order, name)
                for order, name in enumerate(self.taxonomy.names)
                if (score := scores.get(name, 0.0)) > 0
            ),
            reverse=True,
        )
        if not ranked or ranked[0][0] < self.taxonomy.rules.min_score:
            return self.taxonomy.fallback_category, NO_MATCH_CONFIDENCE
        top = ranked[0][0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        margin = (top - runner_up) / top
        strength = min(1.0, top / 6.0)
        confidence = 0.2 + 0.7 * margin * (0.5 + 0.5 * strength)
        return ranked[0][2], round(min(MAX_CONFIDENCE, confidence), 3)

    def _subcategory(self, category: str, scores: dict[str, float]) -> str | None:
        """The best-scoring subcategory of ``category`` (its own cues only, so it cannot be
        another category's), or None when none reaches ``min_score``."""
        order = self.taxonomy.subcategories_of(category)
        ranked = sorted(
            ((score, -i, name) for i, name in enumerate(order) if (score := scores.get(name, 0.0))),
            reverse=True,
        )
        if not ranked or ranked[0][0] < self.taxonomy.rules.min_score:
            return None
        return ranked[0][2]

    def _urgency(self, scores: dict[str, float], category: str) -> Urgency:
        rules = self.taxonomy.urgency
        totals = {level: scores.get(level.value, 0.0) for level in Urgency}
        for level, bias in rules.category_bias.get(category, {}).items():
            totals[level] += bias
        level, score = max(totals.items(), key=lambda item: item[1])
        if score < rules.threshold:
            return rules.default
        return level

    def _sentiment(self, scores: dict[str, dict[str, float]]) -> Sentiment:
        positive = scores.get("positive", {}).get("positive", 0.0)
        negative = scores.get("negative", {}).get("negative", 0.0)
        threshold = self.taxonomy.sentiment.threshold
        if negative - positive >= threshold:
            return Sentiment.NEGATIVE
        if positive - negative >= threshold:
            return Sentiment.POSITIVE
        return Sentiment.NEUTRAL


def _sub_table(category: str) -> str:
    """The score table of one category's subcategories."""
    return f"sub:{category}"


def summarise(subject: str, body: str, limit: int = SUMMARY_LIMIT) -> str:
    """The subject and the first sentences of the body as plain text, at most ``limit`` chars."""
    text = _GREETING.sub("", _plain(body[:4000]), count=1).strip()
    head = _plain(subject)
    taken: list[str] = []
    length = len(head)
    for sentence in _SENTENCE_END.split(text)[:SUMMARY_SENTENCES]:
        if taken and length + len(sentence) + 2 > limit:
            break
        taken.append(sentence)
        length += len(sentence) + 2
    first = " ".join(taken)
    summary = f"{head}: {first}" if head and first else head or first
    return _clip(summary, limit)


def _plain(text: str) -> str:
    text = _BLOCK_TAG.sub(" ", text)
    text = _MARKUP.sub(lambda m: m.group(1) or "", text)
    return _SPACE.sub(" ", text).strip()


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"
