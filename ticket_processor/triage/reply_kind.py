"""What kind of message a customer's reply is: ``actionable``, ``thanks`` or ``auto_reply``.

A thank-you ("that solved it", "danke, hat funktioniert") must not look like new work, and an
out-of-office or a bounce is nobody's work at all; everything else is ``actionable``. Judged on
the reply's new text (``reply_text.strip_reply`` runs first), locally, by either engine:

- ``rules``: cue lists (``reply_cues``) in English, German, French, Spanish, Dutch and
  Portuguese. An automatic message is one with a strong cue ("automatic reply", "undeliverable",
  "Abwesenheitsnotiz") or two weaker ones (away + until a date, a stand-in to contact). A
  thank-you has gratitude or a resolution ("works now", "réglé") and nothing that asks for
  more: no question, no "but", "still", "leider", "toujours pas", "todavía", no "thanks in
  advance"; a long message needs a resolution, not only thanks.
- ``learned``: a logistic regression on hashed word and character n-grams, fitted on the
  examples shipped beside this module (``reply_examples.jsonl``, written for the project; never
  the evaluation rows) by ``python -m scripts.figures train_reply_model`` and shipped as data
  (``reply_model.zip``, read by ``reply_model``: no pickle, nothing fitted in a run), its
  probabilities blended with the rules' verdict, which carries the cues it has never seen.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from .reply_cues import GRATITUDE, MORE, NEGATED, RESOLVED, SHRUG, automatic_certainty, fold
from .reply_text import strip_reply

if TYPE_CHECKING:
    from .reply_model import ReplyModel

ReplyKind = Literal["actionable", "thanks", "auto_reply"]
REPLY_KINDS: tuple[ReplyKind, ...] = ("actionable", "thanks", "auto_reply")
ReplyEngine = Literal["rules", "learned"]


@dataclass(frozen=True)
class ReplyVerdict:
    kind: ReplyKind
    confidence: float


def rules_verdict(text: str) -> ReplyVerdict:
    """The cue lists' verdict on a reply's new text."""
    folded = SHRUG.sub(" ", fold(strip_reply(text)))
    words = len(folded.split())
    automatic = automatic_certainty(folded, words)
    if automatic:
        return ReplyVerdict("auto_reply", automatic)
    grateful = bool(GRATITUDE.search(folded))
    resolved = bool(RESOLVED.search(folded)) and not NEGATED.search(folded)
    # "works again", "no further questions": not a "but" or "again" of their own.
    rest = RESOLVED.sub(" ", folded)
    more = len(MORE.findall(rest)) + folded.count("?") + len(NEGATED.findall(folded))
    if (grateful or resolved) and not more and (resolved or words <= 25):
        return ReplyVerdict("thanks", 0.9 if resolved and grateful else 0.75)
    return ReplyVerdict("actionable", 0.8 if more else 0.6)


# -- the learned engine -----------------------------------------------------------------------

_BLEND = 0.5  # weight of the rules' verdict against the regression's probabilities
_model_lock = threading.Lock()
_model: ReplyModel | None = None


def reply_examples() -> list[dict[str, str]]:
    """The examples the shipped model is fitted on (``reply_examples.jsonl``)."""
    from .reply_model import EXAMPLES_FILE

    source = resources.files(__package__).joinpath(EXAMPLES_FILE)
    rows = []
    for line in source.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("reply_kind") in REPLY_KINDS and isinstance(row.get("text"), str):
                rows.append(row)
    return rows


def train_reply_model(rows: list[dict[str, str]], examples_sha256: str = "") -> ReplyModel:
    """Hashed n-grams and a logistic regression fitted on ``rows``, as a ``ReplyModel``.

    Only ``python -m scripts.figures train_reply_model`` (which writes the shipped file) and the
    tests fit one: scikit-learn and scipy are imported here, never in a run."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from .reply_model import from_weights

    regression = LogisticRegression(C=4.0, max_iter=2000)
    make_pipeline(hashed_features(), regression).fit(
        [r["text"] for r in rows], [r["reply_kind"] for r in rows]
    )
    return from_weights(
        list(regression.classes_), regression.coef_, regression.intercept_, examples_sha256
    )


def hashed_features() -> Any:
    """The features the regression is fitted on: scikit-learn's hashed word and character
    n-grams of ``prepare_reply``. ``reply_model.features`` computes the same at run time without
    scikit-learn (its test compares the two)."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.pipeline import make_union

    from .reply_model import CHAR_NGRAMS, N_FEATURES, WORD_NGRAMS

    return make_union(
        HashingVectorizer(
            preprocessor=prepare_reply,
            ngram_range=WORD_NGRAMS,
            n_features=N_FEATURES,
            alternate_sign=False,
        ),
        HashingVectorizer(
            preprocessor=prepare_reply,
            analyzer="char_wb",
            ngram_range=CHAR_NGRAMS,
            n_features=N_FEATURES,
            alternate_sign=False,
        ),
    )


def prepare_reply(text: str) -> str:
    """What the regression reads: the reply's new text, folded."""
    return fold(strip_reply(text))


def _shipped_model() -> ReplyModel:
    # numpy is imported with the model, by the learned engine only: a rules run never needs it.
    from .reply_model import load_shipped_model

    global _model
    with _model_lock:
        if _model is None:
            _model = load_shipped_model()
        return _model


def learned_verdict(text: str, model: ReplyModel | None = None) -> ReplyVerdict:
    """The regression's probabilities blended with the rules' verdict."""
    chosen = model if model is not None else _shipped_model()
    probabilities = chosen.probabilities(prepare_reply(text))
    blended = {kind: (1 - _BLEND) * p for kind, p in probabilities.items()}
    rules = rules_verdict(text)
    blended[rules.kind] = blended.get(rules.kind, 0.0) + _BLEND * rules.confidence
    kind = max(REPLY_KINDS, key=lambda k: blended.get(k, 0.0))
    return ReplyVerdict(kind, round(min(1.0, blended[kind]), 3))


def classify_reply(text: str, *, engine: ReplyEngine = "rules") -> ReplyVerdict:
    """``actionable``, ``thanks`` or ``auto_reply``, by the cue lists or the learned model."""
    if engine == "learned":
        return learned_verdict(text)
    return rules_verdict(text)
