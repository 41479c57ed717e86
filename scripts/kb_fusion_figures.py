"""How the two rankings are fused, measured on the labelled help centres leave-one-out.

    python scripts/kb_fusion_figures.py [--public DIR]

For each help centre of ``answers_figures.help_centres`` (``--public DIR``: the public ones too,
as that script reads them), over its answerable tickets: hit@1 and hit@3 of the keyword ranking,
of the vectors', of reciprocal rank fusion (1 / (60 + rank) from each: the fusion used before)
and of ``kb.dense.blend`` at the shipped weights; then, for each centre left out, the weights
``blend`` would get from the other centres (the pair of ``GRID`` with the best mean hit@1 over
them) and the hit@1 they give on the one left out: the figure the README quotes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from itertools import product
from pathlib import Path

from answers_figures import help_centres, index_centre

from ticket_processor.kb.dense import HELD_WEIGHT, SHARE_WEIGHT, Candidate, blend, retrieve
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.learned.embed import embed_texts
from ticket_processor.triage.prepare import prepare_ticket

GRID = tuple(product((0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), (0.0, 0.05, 0.1, 0.2, 0.3)))
# One answerable ticket: the ids its label accepts, and its candidates as ``retrieve`` found
# them (the candidates do not depend on the weights: only their order does).
Row = tuple[frozenset[int], tuple[Candidate, ...]]
Score = Callable[[Candidate], float]


def _rrf(c: Candidate) -> float:
    return sum(1.0 / (60 + place) for place in (c.keyword_rank, c.dense_rank) if place)


def _hits(rows: list[Row], score: Score) -> tuple[float, float]:
    first = top3 = 0
    for right, candidates in rows:
        order = sorted(candidates, key=lambda c: (-score(c), -c.share))
        first += bool(order and order[0].hit.article_id in right)
        top3 += bool(right & {c.hit.article_id for c in order[:3]})
    return round(first / max(len(rows), 1), 4), round(top3 / max(len(rows), 1), 4)


def _keyword(c: Candidate) -> float:
    return 1.0 / c.keyword_rank if c.keyword_rank else 0.0


def _scorer(weights: tuple[float, float]) -> Score:
    return lambda c: blend(c.cosine, c.share, c.held, weights)


def main(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return 0
    public = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
    rows: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, articles, tickets in help_centres(public):
            index, ids = index_centre(Path(tmp), name, articles)
            rows[name] = []
            for ticket in tickets:
                if ticket["answer_article"] is None:
                    continue
                prepared = prepare_ticket(
                    str(ticket.get("subject", "")), ticket["description"], max_tokens=2000
                )
                found = retrieve(index, ticket_text(prepared), embed_texts)
                rows[name].append((ids[ticket["answer_article"]], found.candidates))
            index.close()
    shipped = (SHARE_WEIGHT, HELD_WEIGHT)
    table: dict[str, object] = {}
    grid = {w: {n: _hits(r, _scorer(w))[0] for n, r in rows.items()} for w in GRID}
    for name, centre in rows.items():
        others = [n for n in rows if n != name]
        picked = max(GRID, key=lambda w: sum(grid[w][n] for n in others))
        table[name] = {
            "answerable": len(centre),
            "keyword hit@1, @3": _hits(centre, _keyword),
            "dense hit@1, @3": _hits(centre, lambda c: c.cosine),
            "rrf hit@1, @3": _hits(centre, _rrf),
            f"blend {shipped} hit@1, @3": _hits(centre, _scorer(shipped)),
            "blend weights picked on the others": picked,
            "their hit@1 here": grid[picked][name],
        }
    table["blend weights picked on all"] = max(GRID, key=lambda w: sum(grid[w].values()))
    print(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
