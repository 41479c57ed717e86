"""How near a ticket stands to the team's categories, on plain vectors: the threshold comes
from how near the taxonomy's own texts stand to each other, and the fallback's texts count for
no category."""

from __future__ import annotations

import numpy as np

from ticket_processor.learned.nearest import Nearest, category_texts, own_closeness
from ticket_processor.triage.taxonomy import parse_taxonomy


def test_each_text_is_read_against_the_others_not_itself() -> None:
    unit = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], np.float32)
    assert own_closeness(unit).round(2).tolist() == [0.8, 0.8, 0.6]
    assert own_closeness(unit[:1]).tolist() == [1.0]


def test_a_ticket_further_than_the_threshold_from_every_text_is_far() -> None:
    nearest = Nearest(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), far_below=0.5)
    assert not nearest.far(np.array([3.0, 0.2]))  # near the first, whatever its length
    assert nearest.far(np.array([-1.0, -1.0]))


def test_the_fallbacks_own_examples_make_no_category_near() -> None:
    taxonomy = parse_taxonomy(
        'fallback_category = "other"\n'
        '[categories.delivery]\ndescription = "Parcels."\nexamples = ["Where is my parcel?"]\n'
        '[categories.other]\ndescription = "Anything else."\nexamples = ["Nice shop!"]\n'
    )
    assert category_texts(taxonomy) == ["Parcels.", "Where is my parcel?"]
