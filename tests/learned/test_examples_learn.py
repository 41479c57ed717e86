"""``learn`` with a taxonomy that lists examples: the examples join the labelled tickets (the
agents' corrections and reviewed tickets ``learn --from-helpdesk`` gathers, or a file), and
``--promote`` measures the candidate against the model runs use, the one fitted on the examples."""

from __future__ import annotations

from pathlib import Path

from support.cli import invoke

from ticket_processor.learned import read_model
from ticket_processor.learned.examples.fit import EXAMPLE_SOURCE, example_rows
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"
TAXONOMY = DATA / "examples_taxonomy.toml"
TICKETS = DATA / "examples_tickets.jsonl"  # standing in for labelled tickets


def test_the_examples_join_the_labelled_tickets(tmp_path: Path) -> None:
    out = tmp_path / "model.zip"
    args = ("--taxonomy", str(TAXONOMY), "--out", str(out), "--folds", "2", "--force")
    learned = invoke("learn", str(TICKETS), *args)
    assert learned.exit_code == 0, learned.output
    model = read_model(out, load_taxonomy(TAXONOMY).names)
    examples = len(example_rows(load_taxonomy(TAXONOMY)))
    assert model.sources[EXAMPLE_SOURCE] == examples
    assert model.rows == examples + len(TICKETS.read_text("utf-8").splitlines())


def test_promote_weighs_the_candidate_against_the_examples_model(tmp_path: Path) -> None:
    args = ("--taxonomy", str(TAXONOMY), "--promote", "--holdout", str(TICKETS), "--folds", "2")
    promoted = invoke("learn", str(TICKETS), *args)
    assert promoted.exit_code == 0, promoted.output
    [row] = [line for line in promoted.output.splitlines() if line.startswith("│ category")]
    # Both columns hold a score: the model in use is the examples engine's, not "none".
    assert "—" not in row, promoted.output
