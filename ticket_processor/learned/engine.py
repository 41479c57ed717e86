"""The learned engine: ``analyse(subject, body) -> Analysis``, shaped like ``RulesEngine``.

The model decides the fields it was trained for (category, urgency, sentiment, whichever it
has); language and summary, and any field the model lacks, come from the keyword rules, as
they would without a model. Confidence is the probability the model gives its category, so the
run's threshold (``TICKETBOT_CONFIDENCE_THRESHOLD``) means what it means for the LLM: how sure
the engine is of the category. Feed it prepared text (``prepare_ticket``), as the model was
trained on. Pure apart from the encoder's lazily loaded weights; safe to share between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..models import Analysis, Sentiment, Urgency
from ..triage.rules import RulesEngine
from ..triage.taxonomy import Taxonomy
from .embed import Encoder
from .model import FieldPrediction, FloatArray, LearnedModel, best_of
from .nearest import FAR_CONFIDENCE, Nearest, nearest_of

# The share of the urgency head's probability a critical reading needs: a majority of it.
CRITICAL_AT = 0.5


class LearnedEngine:
    """Build once per run with a loaded model; call ``analyse`` per ticket."""

    def __init__(
        self,
        model: LearnedModel,
        taxonomy: Taxonomy,
        *,
        rules: RulesEngine | None = None,
        encoder: Encoder | None = None,
        encoded_form: Callable[[str], str] | None = None,
        nearest: Nearest | None = None,
    ) -> None:
        """``encoded_form``: what the encoder is given of ``subject\nbody``, the form the
        model's rows were encoded in (the examples engine drops question marks). ``nearest``:
        the team's categories' examples, a ticket far from all of them put in the fallback
        category (``learned.nearest``); by default read from a taxonomy that lists examples,
        on the first ticket (none for one without: the bundled taxonomy lists none)."""
        if model.taxonomy != taxonomy.names:
            raise ValueError("the model was trained for another taxonomy")
        self.model = model
        self.taxonomy = taxonomy
        self.rules = rules or RulesEngine(taxonomy)
        self._encoder = encoder or (Encoder() if model.uses_embeddings else None)
        self._encoded_form = encoded_form
        self._nearest = nearest
        self._nearest_read = nearest is not None or not taxonomy.has_examples
        self._nearest_lock = threading.Lock()

    @property
    def name(self) -> str:
        """What a triage records as its model: the engine and when it was trained."""
        return f"learned {self.model.trained_at}".strip()

    def _embedding(self, subject: str, body: str) -> FloatArray | None:
        if self._encoder is None:
            return None
        text = f"{subject}\n{body}"
        if self._encoded_form is not None:
            text = self._encoded_form(text)
        embedding: FloatArray = self._encoder.encode([text])[0]
        return embedding

    def probabilities(
        self, subject: str, body: str, embedding: FloatArray | None = None
    ) -> dict[str, FloatArray]:
        """Per field the model covers, the probability of each of its classes."""
        if embedding is None:
            embedding = self._embedding(subject, body)
        return self.model.probabilities(subject, body, embedding)

    @property
    def nearest(self) -> Nearest | None:
        """The taxonomy's examples and descriptions as vectors, encoded once."""
        if self._encoder is None:
            return None
        with self._nearest_lock:
            if not self._nearest_read:
                self._nearest = nearest_of(
                    self.taxonomy, self._encoder, self._encoded_form or (lambda text: text)
                )
                self._nearest_read = True
            return self._nearest

    def far(self, subject: str, body: str, embedding: FloatArray | None = None) -> bool:
        """Whether the ticket is far from every category of the team's (``learned.nearest``)."""
        nearest = self.nearest
        if nearest is None:
            return False
        if embedding is None:
            embedding = self._embedding(subject, body)
        return embedding is not None and nearest.far(embedding)

    def predict(
        self, subject: str, body: str, embedding: FloatArray | None = None
    ) -> dict[str, FieldPrediction]:
        """Per field the model covers, its most probable label and that label's probability;
        the subcategory only among the predicted category's own (absent when it has none)."""
        probabilities = self.probabilities(subject, body, embedding)
        result = {
            name: best_of(self.model.fields[name].classes, p)
            for name, p in probabilities.items()
            if name != "subcategory"
        }
        category = result.get("category")
        if "subcategory" in probabilities and category is not None:
            within = self.taxonomy.subcategories_of(category.label)
            sub = best_of(
                self.model.fields["subcategory"].classes, probabilities["subcategory"], within
            )
            if sub.label:
                result["subcategory"] = sub
        return result

    def analyse(self, subject: str, body: str) -> Analysis:
        """Category, urgency, sentiment from the model; the rest as the rules make it."""
        return self.assess(subject, body)[0]

    def assess(
        self, subject: str, body: str
    ) -> tuple[Analysis, dict[str, float], dict[str, float]]:
        """The analysis, the calibrated confidence of each field the model calibrated, and the
        apply threshold its calibration chose for each (empty for a model file without)."""
        base = self.rules.analyse(subject, body)
        embedding = self._embedding(subject, body)
        predicted = self.predict(subject, body, embedding)
        confidence: dict[str, float] = {}
        apply_at: dict[str, float] = {}
        for name, prediction in predicted.items():
            field = self.model.fields[name]
            if field.calibration is not None:
                confidence[name] = round(field.calibration(prediction.probability), 4)
                apply_at[name] = field.apply_at if field.apply_at is not None else 1.0
        fallback = self.taxonomy.fallback_category
        said = predicted.get("category")
        if said is not None and said.label != fallback and self.far(subject, body, embedding):
            # Far from every category of the team's: the fallback, sure as the check itself is
            # (it names no category of theirs, so the model's calibration says nothing of it).
            predicted["category"] = FieldPrediction(fallback, FAR_CONFIDENCE)
            predicted.pop("subcategory", None)
            if "category" in confidence:
                confidence["category"] = FAR_CONFIDENCE
                apply_at["category"] = min(apply_at["category"], FAR_CONFIDENCE)
        return self._analysis(subject, body, base, predicted), confidence, apply_at

    def _analysis(
        self, subject: str, body: str, base: Analysis, predicted: dict[str, FieldPrediction]
    ) -> Analysis:
        update: dict[str, object] = {}
        category = predicted.get("category")
        if category is not None:
            update["category"] = self.taxonomy.validate_category(category.label)
            update["confidence"] = round(min(1.0, max(0.0, category.probability)), 3)
        if "urgency" in predicted:
            urgency = Urgency(predicted["urgency"].label)
            if urgency is Urgency.CRITICAL and predicted["urgency"].probability < CRITICAL_AT:
                # Critical pages people: a plurality is not enough (the bundled head read "I
                # forgot my password" as critical at 0.35 against high 0.28); the rules' reading.
                urgency = base.urgency
            update["urgency"] = urgency
        if "sentiment" in predicted:
            update["sentiment"] = Sentiment(predicted["sentiment"].label)
        update["subcategory"] = self._subcategory(subject, body, base, predicted)
        return Analysis.model_validate({**base.model_dump(), **update})

    def _subcategory(
        self, subject: str, body: str, base: Analysis, predicted: dict[str, FieldPrediction]
    ) -> str | None:
        """The model's subcategory (within its category); without a subcategory head, the
        rules' one within the model's category."""
        category = predicted["category"].label if "category" in predicted else base.category
        if "subcategory" in predicted:
            return self.taxonomy.validate_subcategory(category, predicted["subcategory"].label)
        if category == base.category:
            return base.subcategory
        return self.rules.subcategory(subject, body, category)
