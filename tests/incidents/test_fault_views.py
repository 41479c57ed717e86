"""The LLM's view of a fault, beside the fault head: asked for only when incidents are grouped
(one boolean key in the answer it already gives), read strictly (only a JSON true or false is a
view), kept in the window with the ticket, and weighed with the head: either may keep a ticket
out of an incident, and how they agreed is counted."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from support.word_encoder import encode

from ticket_processor.incidents.fault import weigh_views
from ticket_processor.incidents.grouping import judge
from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import Row, Window, load_window, save_window
from ticket_processor.llm_client.prompt import analysis_schema, coerce_analysis, system_prompt
from ticket_processor.sandbox.llm_standin.answers import fit_fault
from ticket_processor.triage.taxonomy import load_taxonomy

NOW = 1_800_000_000
ANSWER: dict[str, Any] = {
    "category": "bug",
    "urgency": "high",
    "sentiment": "negative",
    "language": "en",
    "summary": "s",
    "confidence": 0.9,
}


def test_the_llm_is_asked_whether_a_fault_is_reported_only_when_incidents_group() -> None:
    taxonomy = load_taxonomy(None)
    assert "fault" not in analysis_schema(taxonomy)["properties"]
    assert '"fault"' not in system_prompt(taxonomy)
    schema = analysis_schema(taxonomy, fault=True)
    assert schema["properties"]["fault"] == {"type": "boolean"}
    assert "fault" in schema["required"]
    assert '"fault": true when the customer reports a fault' in system_prompt(taxonomy, fault=True)
    assert coerce_analysis({**ANSWER, "fault": True}, taxonomy, fault=True).fault is True
    assert coerce_analysis({**ANSWER, "fault": False}, taxonomy, fault=True).fault is False
    for loose in ("yes", "true", 1, None, "fault"):  # strictly a JSON boolean, or no view
        assert coerce_analysis({**ANSWER, "fault": loose}, taxonomy, fault=True).fault is None
    assert coerce_analysis(ANSWER, taxonomy, fault=True).fault is None  # key left out
    assert coerce_analysis({**ANSWER, "fault": True}, taxonomy).fault is None  # not asked


def test_the_stand_in_answers_the_key_only_when_the_schema_asks() -> None:
    schema = analysis_schema(load_taxonomy(None), fault=True)
    asked = {"response_format": {"type": "json_schema", "json_schema": {"schema": schema}}}
    assert fit_fault({}, asked, "checkout broken??", "")["fault"] is True
    assert fit_fault({}, asked, "Zahlung geht nicht", "")["fault"] is True
    assert fit_fault({}, asked, "cancel order", "Please cancel 123456.")["fault"] is False
    assert "fault" not in fit_fault({}, {}, "checkout broken??", "")


def test_either_judge_keeps_a_ticket_out_and_their_agreement_is_counted() -> None:
    head = np.array([True, True, False, False, True])
    views = np.array([1, -1, 1, -1, 0], np.int8)
    grouped, agreement = weigh_views(head, views)
    assert grouped.tolist() == [True, False, False, False, True]
    assert agreement == {
        "both_fault": 1,
        "both_request": 1,
        "head_only": 1,
        "llm_only": 1,
        "no_view": 1,
    }


def _outage_window(views: list[int]) -> Window:
    window = Window()
    texts = [f"checkout error payment failed {i}" for i in range(len(views))]
    rows = [Row(i + 1, i + 1, NOW - 60 * (i + 1), "bug", True, v) for i, v in enumerate(views)]
    window.add(rows, np.asarray(encode(texts), np.float32))
    window.baseline_from = NOW - 7 * 86400
    return window


def test_tickets_the_llm_calls_requests_stay_out_of_the_incident() -> None:
    policy = IncidentPolicy(similarity=0.3)
    everyone = judge(_outage_window([0] * 8), NOW, policy)
    [burst] = everyone.bursts
    assert len(burst.rows) == 8
    assert everyone.agreement == {}
    vetoed = judge(_outage_window([1, 1, 1, 1, 1, 1, -1, -1]), NOW, policy)
    [burst] = vetoed.bursts
    assert sorted(burst.rows) == list(range(6))
    assert vetoed.agreement["head_only"] == 2  # no head: every ticket passes it
    assert vetoed.agreement["both_fault"] == 6
    assert sorted(vetoed.requests) == [6, 7]


def test_the_reports_the_llm_keeps_out_do_not_make_the_hour_busy() -> None:
    """Counted as the hour's other tickets, the two it keeps out made the hour five times as
    busy as the window's (none), and five times as many reports of the outage's kind usual."""
    policy = IncidentPolicy(similarity=0.3)
    [alone] = judge(_outage_window([0] * 8), NOW, policy).readings
    vetoed = judge(_outage_window([1, 1, 1, 1, 1, 1, -1, -1]), NOW, policy)
    assert vetoed.kept_out == [6, 7]
    [reading] = vetoed.readings
    assert reading.busy == alone.busy == 1.0
    assert reading.incident


def test_the_view_is_kept_with_the_ticket_and_an_older_window_has_none(tmp_path: Path) -> None:
    sighting = Sighting(5, "s", "checkout broken", 9, NOW, "bug", True, fault=False)
    window = Window()
    window.add([sighting.row()], np.asarray(encode(["checkout broken"]), np.float32))
    window.add([Row(5, 9, NOW, "bug", True)], np.asarray(encode(["x"]), np.float32))  # reread
    assert window.views.tolist() == [-1]  # a reading from the helpdesk keeps the LLM's view
    save_window(tmp_path, window)
    loaded, _ = load_window(tmp_path)
    assert loaded is not None
    assert loaded.views.tolist() == [-1]
    older = Window()
    older.add([Row(6, 9, NOW, "bug", True)], np.asarray(encode(["y"]), np.float32))
    data = older.to_bytes()
    stripped = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.namelist():
            if item != "views.npy":
                target.writestr(item, source.read(item))
    before = Window.from_bytes(stripped.getvalue())
    assert before.views.tolist() == [0]
    assert [r.view for r in before.iter_rows()] == [0]
