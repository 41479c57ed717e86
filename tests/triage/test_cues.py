"""The cue index keeps each token's candidate cues (the same in every ticket) and finds what a
scan of every cue finds; the instruction-like phrases are looked for in an index of their own."""

from __future__ import annotations

import json
from pathlib import Path

from ticket_processor.triage.cues import CueIndex, tokenise
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts() -> list[str]:
    rows = [json.loads(line) for line in (DATA / "replies.jsonl").read_text().splitlines()]
    return [str(row.get("text") or row.get("body") or row) for row in rows]


def _scan(index: CueIndex, tokens: list[str]) -> dict[int, list[int]]:
    """Every cue tried at every position: what ``find`` must give."""
    found: dict[int, list[int]] = {}
    for position in range(len(tokens)):
        if not tokens[position]:
            continue
        for cue_id, elements in enumerate(index.patterns):
            window = tokens[position : position + len(elements)]
            if len(window) == len(elements) and all(
                element.matches(token) for element, token in zip(elements, window, strict=True)
            ):
                found.setdefault(cue_id, []).append(position)
    return found


def test_find_is_a_scan_of_every_cue_and_keeps_each_tokens_candidates() -> None:
    index = RulesEngine(load_taxonomy())._index
    for text in _texts()[:60]:
        tokens = tokenise(text)
        found = index.find(tokens)
        assert {cue: sorted(at) for cue, at in found.items()} == _scan(index, tokens)
        assert index.find(tokens) == found
        assert all(token in index._known for token in tokens if token)


def test_a_cue_added_after_a_find_is_found() -> None:
    index = CueIndex()
    index.add("refund*")
    assert index.find(["refunded", "order"]) == {0: [0]}
    index.add("order")
    assert index.find(["refunded", "order"]) == {0: [0], 1: [1]}


def test_the_instruction_phrases_have_an_index_of_their_own() -> None:
    engine = RulesEngine(load_taxonomy())
    phrases = {" ".join(e.text for e in p) for p in engine._ignore.patterns}
    assert "categorise as" in phrases
    assert not any(" ".join(e.text for e in p) == "categorise as" for p in engine._index.patterns)
