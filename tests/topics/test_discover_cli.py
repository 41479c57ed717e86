"""``ticketbot discover`` end to end: a file of unlabelled tickets, or the helpdesk; the topics
agree with the hidden intents; the taxonomy fragment loads in ``eval --taxonomy``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import adjusted_mutual_info_score
from support.cli import command

from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.triage.taxonomy import default_taxonomy_text

DATA = Path(__file__).resolve().parent.parent / "data"
discover = command("discover")


def _unlabelled(
    source: str, tmp_path: Path, *, per_intent: int | None = None
) -> tuple[Path, dict[str, str]]:
    """The rows with their labels removed (and no subject), and the hidden intents by id."""
    hidden: dict[str, str] = {}
    seen: dict[str, int] = {}
    lines = []
    for line in (DATA / f"{source}.jsonl").read_text().splitlines():
        row = json.loads(line)
        intent = row.pop("labels")["subcategory"]
        seen[intent] = seen.get(intent, 0) + 1
        if per_intent is not None and seen[intent] > per_intent:
            continue
        row["subject"] = None
        hidden[row["id"]] = intent
        lines.append(json.dumps(row))
    path = tmp_path / f"{source}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, hidden


def _scores(assignments: Path, hidden: dict[str, str]) -> tuple[float, float, int]:
    rows = [json.loads(line) for line in assignments.read_text().splitlines()]
    assert [r["id"] for r in rows] == list(hidden)
    topics = [-1 if r["topic"] is None else r["topic"] for r in rows]
    covered = sum(t >= 0 for t in topics) / len(topics)
    ami = adjusted_mutual_info_score([hidden[r["id"]] for r in rows], topics)
    return covered, ami, len({t for t in topics if t >= 0})


@pytest.mark.slow
def test_topics_of_a_small_file_and_its_fragment_loads_in_eval(tmp_path: Path) -> None:
    path, hidden = _unlabelled("bitext", tmp_path, per_intent=4)
    out, fragment = tmp_path / "topics.jsonl", tmp_path / "new.toml"
    result = discover(
        str(path), "--assignments", str(out), "--taxonomy-out", str(fragment), "--json"
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)
    assert summary["tickets"] == len(hidden)
    covered, ami, topics = _scores(out, hidden)
    assert covered >= 0.8
    assert topics <= 1.5 * len(set(hidden.values()))
    assert ami >= 0.5
    assert all(t["examples"] and t["name"] for t in summary["topics"])
    # The same input gives the same topics.
    again = discover(str(path), "--assignments", str(tmp_path / "again.jsonl"))
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.jsonl").read_text() == out.read_text()
    # The fragment, appended to the taxonomy, is a taxonomy eval accepts.
    combined = tmp_path / "taxonomy.toml"
    combined.write_text(default_taxonomy_text() + "\n" + fragment.read_text())
    scored = command("eval")(
        str(DATA / "bitext.jsonl"), "--limit", "20", "--taxonomy", str(combined)
    )
    assert scored.exit_code == 0, scored.output


@pytest.mark.slow
@pytest.mark.parametrize(("source", "floor"), [("bitext", 0.65), ("banking77", 0.48)])
def test_topics_agree_with_the_hidden_intents(tmp_path: Path, source: str, floor: float) -> None:
    path, hidden = _unlabelled(source, tmp_path)
    out = tmp_path / "topics.jsonl"
    result = discover(str(path), "--assignments", str(out))
    assert result.exit_code == 0, result.output
    covered, ami, topics = _scores(out, hidden)
    assert covered >= 0.8
    assert topics <= 1.5 * len(set(hidden.values()))
    assert ami >= floor


def test_needs_a_file_or_the_helpdesk(tmp_path: Path) -> None:
    assert discover().exit_code == 2
    missing = discover(str(tmp_path / "nothing.jsonl"))
    assert missing.exit_code == 2
    assert "cannot read" in missing.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    told = discover(str(empty))
    assert told.exit_code == 2
    assert "no tickets to read" in told.output
    assert "evaluate" not in told.output  # discover groups tickets; it scores none


@pytest.mark.slow
@pytest.mark.desk(seed=2, configure=True)
def test_from_the_helpdesk(desk: Any) -> None:
    texts = [
        ("Coupon code rejected", "My coupon code SAVE10 is rejected at checkout"),
        ("Discount code invalid", "The discount coupon says invalid when I pay"),
        ("Promo code", "Your promo coupon code does not apply to my cart"),
        ("Parcel late", "My parcel has not arrived, tracking shows nothing"),
        ("Where is my package", "The package is late and tracking is stuck"),
        ("Delivery delayed", "Delivery of my parcel is delayed, tracking not updated"),
    ]
    desk.create([NewTicket(subject, body) for subject, body in texts])
    result = discover("--from-helpdesk", "--since", "1d", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["tickets"] >= len(texts)
    names = " ".join(t["name"] for t in summary["topics"])
    assert "coupon" in names or "code" in names


def test_each_ticket_is_encoded_once(tmp_path: Path) -> None:
    """The learned engine judges with the vectors the clustering gets: one encoding a ticket,
    subjects missing included (their text was encoded a second time, differently stripped)."""
    from ticket_processor.learned.embed import texts_encoded

    path, hidden = _unlabelled("banking77", tmp_path, per_intent=1)
    # Texts no other test encoded: the encoder's memo would hide a second encoding.
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row["description"] += f" (ref {tmp_path.name})"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    before = texts_encoded()
    result = discover(str(path), "--engine", "learned", "--names", "words", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tickets"] == len(hidden)
    assert texts_encoded() - before == len(hidden)
