"""``eval --grouping``'s scoring on a labelled file, and the report's incidents and repeats."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.incident_scenario import iso, scenario
from support.word_encoder import encode

from ticket_processor.errors import ConfigError
from ticket_processor.incidents.labelled import evaluate_grouping, read_labelled, score
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.report.incidents import incident_lines, incident_report


def _write(path: Path, n: int = 150) -> Path:
    specs = scenario(n, now=int(time.time()))
    lines = []
    for i, spec in enumerate(specs):
        group = None
        if spec.label == "outage":
            group = "outage"
        elif spec.label == "repeat":
            group = f"repeat-{spec.repeat_of}"
        lines.append(
            {
                "id": i + 1,
                "subject": spec.subject,
                "body": spec.body,
                "requester": spec.email,
                "created_at": iso(spec.created_at),
                "status": spec.status,
                "group": group,
            }
        )
    for line in lines:  # the earlier ticket of a repeat is in its group too
        if line["group"] and str(line["group"]).startswith("repeat-"):
            lines[int(str(line["group"]).split("-")[1])]["group"] = line["group"]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    return path


def test_the_grouping_is_scored_by_pairs_and_groups_kept_together(tmp_path: Path) -> None:
    result = evaluate_grouping(
        _write(tmp_path / "g.jsonl"), encode, IncidentPolicy(similarity=0.3, repeat_similarity=0.3)
    )
    assert result.true_groups == 5  # the outage and four repeat pairs
    # The reports in other languages share "error 502 upstream unavailable": a word encoder
    # groups them too; the 20 cancellation questions stay out (a busy hour, not an outage).
    assert (result.pair_precision, result.pair_recall, result.kept_together) == (1.0, 1.0, 1.0)
    assert result.predicted_groups == 5


@pytest.mark.slow
def test_eval_grouping_with_the_real_encoder(tmp_path: Path) -> None:
    """``ticketbot eval --grouping FILE`` on the outage hour (the encoder loads in ~4 s)."""
    from support.cli import invoke

    shown = invoke("eval", "--grouping", str(_write(tmp_path / "g.jsonl", 1000)), "--json")
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    assert result["per_group"]["outage"] >= 22 / 25
    assert result["pair_precision"] >= 0.9


def test_score_on_plain_data() -> None:
    rows = [
        {"id": i, "group": g}
        for i, g in [(1, "a"), (2, "a"), (3, "a"), (4, None), (5, "b"), (6, "b")]
    ]
    perfect = score(rows, {1: 1, 2: 1, 3: 1, 4: 4, 5: 5, 6: 5})
    assert (perfect.pair_precision, perfect.pair_recall, perfect.kept_together) == (1.0, 1.0, 1.0)
    split = score(rows, {1: 1, 2: 1, 3: 3, 4: 1, 5: 5, 6: 6})
    assert split.pair_precision == pytest.approx(1 / 3)  # (1,2) right; (1,4), (2,4) wrong
    assert split.pair_recall == pytest.approx(1 / 4)
    assert split.per_group == {"a": pytest.approx(2 / 3), "b": 0.5}


def test_the_score_counts_strangers_in_incidents_and_each_forms_share_kept() -> None:
    rows: list[dict[str, Any]] = [
        {"id": 1, "group": "a"},
        {"id": 2, "group": "a", "form": "short"},
        {"id": 3, "group": "a", "form": "short"},
        {"id": 4, "group": "a", "form": "foreign"},
        {"id": 5, "group": None},
        {"id": 6, "group": None},
    ]
    # 1, 2, 4 and the stranger 5 are one incident; the short report 3 stands alone.
    result = score(rows, {1: 1, 2: 1, 3: 3, 4: 1, 5: 1, 6: 6}, in_incident={1, 2, 4, 5})
    assert result.others_in_incidents == 1
    assert result.forms == {"short": (1, 2), "foreign": (1, 1)}


def test_a_bad_labelled_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "created_at": "yesterday"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: created_at"):
        read_labelled(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: not JSON"):
        read_labelled(path)


def test_the_report_lists_incidents_with_their_state_and_the_repeats() -> None:
    events = [
        {
            "event": "incident",
            "key": 7,
            "title": "Checkout error",
            "reports": 24,
            "first_seen": "2026-11-25 10:00 UTC",
            "url": "u7",
        },
        {
            "event": "incident",
            "key": 7,
            "title": "Checkout error",
            "reports": 30,
            "first_seen": "2026-11-25 10:00 UTC",
            "url": "u7",
        },
        {"event": "incident", "key": 9, "title": "Old", "reports": 5, "first_seen": "x", "url": ""},
        {
            "event": "incident",
            "key": 11,
            "title": "Dry",
            "reports": 5,
            "first_seen": "x",
            "url": "",
            "dry_run": True,
        },
        {
            "event": "incident_write",
            "action": "flag",
            "ticket_id": 40,
            "earlier": 12,
            "similarity": 0.81,
        },
        {"event": "incident_write", "action": "member", "ticket_id": 41, "group": 7},
    ]
    report = incident_report(events, open_now={7})
    assert [(r.key, r.reports, r.state) for r in report.incidents] == [
        (7, 30, "open"),
        (9, 5, "closed"),
    ]
    assert [(r.ticket_id, r.earlier) for r in report.repeats] == [(40, 12)]
    text = "\n".join(incident_lines(report))
    assert "#7 “Checkout error”: 30 reports" in text
    assert "#40 repeats #12 (similarity 0.81)" in text


def test_a_customer_who_wrote_twice_about_the_outage_is_one_of_its_reports() -> None:
    rows: list[dict[str, Any]] = [
        {"id": 1, "group": "outage"},
        {"id": 2, "group": "outage"},
        {"id": 3, "group": "repeat-3", "reports": "outage"},
        {"id": 4, "group": "repeat-3", "reports": "outage"},
        {"id": 5, "group": "repeat-5"},
    ]
    # The pair 3, 4 reported the outage twice: linked to it, they are not strangers; 5 is.
    result = score(rows, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, in_incident={1, 2, 3, 4, 5})
    assert result.others_in_incidents == 1
    assert result.per_group["repeat-3"] == 1.0
