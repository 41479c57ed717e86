"""Pure: what broke, in words: whether a group names one fault, and which members do not.

The encoder puts "the thermostat beeps every hour" near "the app says my thermostat is
offline": both are a thermostat that does something wrong. Near is not the same fault. The
reports of one outage name what broke (offline, the invoice download, the unlock), in words
many of them share and the hour's other tickets use much less; a product's one-off complaints
share only the product's name, which every ticket of the hour uses. So each ticket's words are
kept beside its vector (``ticket_terms``: the first ``TERMS`` content words, cut to ``STEM``
letters so "unlock" and "unlocking" meet, as 32-bit hashes: no text is stored), and a group's
words of what broke (``cue_words``) are those it uses ``fault_word_lift`` times more often than
the hour's other tickets. Then:

- a group is an incident only when at least ``fault_word_share`` of its reports carry the most
  shared of those words (``fault_word_share``), read on the group as gathered;
- a member that carries none of the words at least ``cue_share`` of the members use leaves
  when it is further than ``cue_similarity`` from the centre of the members that do
  (``lacking_cue``).

A short report ("unlock fails") carries a word; a report in another language carries none of
the English ones, and stays through the encoder, near what the carriers say. A ticket whose
words the window does not have (read before words were kept) is judged on neither side.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..kb.text import query_terms
from .policy import IncidentPolicy
from .window import TERMS, Window, quantise

STEM = 5  # letters a word is cut to: "payment"/"payments", "unlock"/"unlocking" meet


def ticket_terms(text: str) -> npt.NDArray[np.uint32]:
    """The ticket's first ``TERMS`` distinct content words (stems), hashed; 0 pads (no
    word hashes to 0). Accents folded and function words of many languages dropped
    (``kb.text.query_terms``)."""
    out = np.zeros(TERMS, np.uint32)
    seen: list[int] = []
    for word in query_terms(text):
        hashed = zlib.crc32(word[:STEM].encode("utf-8")) | 1
        if hashed not in seen:
            seen.append(hashed)
            if len(seen) == TERMS:
                break
    out[: len(seen)] = seen
    return out


def texts_terms(texts: Sequence[str]) -> npt.NDArray[np.uint32]:
    """``ticket_terms`` of each text, as the rows ``Window.add`` takes."""
    out = np.zeros((len(texts), TERMS), np.uint32)
    for i, text in enumerate(texts):
        out[i] = ticket_terms(text)
    return out


def cue_words(
    window: Window,
    rows: npt.NDArray[np.int64],
    others: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> dict[int, int]:
    """The words (hashes) of what broke, with how many of ``rows`` carry each: used by two of
    ``rows`` at least, and ``fault_word_lift`` times more often there than among ``others``
    (the hour's tickets outside the group). Rows with no words known count on neither side."""
    rows = rows[window.terms[rows].any(axis=1)]
    others = others[window.terms[others].any(axis=1)]
    if len(rows) == 0:
        return {}
    in_group = _document_counts(window.terms[rows])
    elsewhere = _document_counts(window.terms[others])
    return {
        word: n
        for word, n in in_group.items()
        if n >= 2
        and (n / len(rows)) / ((elsewhere.get(word, 0) + 1) / (len(others) + 1))
        >= policy.fault_word_lift
    }


def _document_counts(terms: npt.NDArray[np.uint32]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in terms:
        for word in {int(w) for w in row if w}:
            counts[word] = counts.get(word, 0) + 1
    return counts


def fault_word_share(
    window: Window, rows: Sequence[int], hour: npt.NDArray[np.int64], policy: IncidentPolicy
) -> float:
    """The share of the group's ``rows`` that carry its most shared word of what broke
    (``cue_words``): one fault's reports name it (the unlock, the invoice, offline), where
    many complaints about one product share only the product's name, which the hour's other
    tickets use too. 1.0 when fewer than ``min_reports`` rows have words known (nothing to
    judge on)."""
    picked = np.asarray(rows, np.int64)
    known = picked[window.terms[picked].any(axis=1)]
    if len(known) < policy.min_reports:
        return 1.0
    words = cue_words(window, known, np.setdiff1d(hour, picked), policy)
    return max(words.values(), default=0) / len(known)


def lacking_cue(
    window: Window,
    members: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> npt.NDArray[np.bool_]:
    """Which of the group's ``members`` (window rows) carry none of its words of what broke
    (``cue_words``, those at least ``cue_share`` of the members use) and are further than
    ``cue_similarity`` from the centre of the members that carry one: a product's one-off
    complaint gathered beside its outage. A report in another language, or in words of its
    own, stays when it is near what the carriers say. ``hour``: the hour's tickets."""
    out = np.zeros(len(members), np.bool_)
    if policy.cue_similarity <= 0 or len(members) <= policy.min_reports:
        return out
    words = cue_words(window, members, np.setdiff1d(hour, members), policy)
    least = policy.cue_share * int(window.terms[members].any(axis=1).sum())
    cue = np.array(sorted(w for w, n in words.items() if n >= least), np.uint32)
    carries = np.isin(window.terms[members], cue).any(axis=1)
    if carries.sum() < policy.min_reports:
        return out
    centre = quantise(window.vectors[members[carries]].astype(np.float32).mean(axis=0)[None])
    near = window.similarity(centre, members)[0] >= policy.cue_similarity
    known = window.terms[members].any(axis=1)
    out[:] = known & ~carries & ~near
    return out
