"""A run's answers from its settings: off unless a mode is on, a warning without the index,
and off (said) when the helpdesk's agents cannot be read."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.answers.answering import RunAnswers
from ticket_processor.answers.setup import build_answers
from ticket_processor.errors import AuthError
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.models import Agent, Article, Helpdesk
from ticket_processor.run.connect import load_settings
from ticket_processor.triage.taxonomy import load_taxonomy


class Agents:
    kind = "fake"  # a kind the registry does not list: answers allowed

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def agents(self) -> list[Agent]:
        if self.fail:
            raise AuthError("403 Forbidden: agents need an admin's token", status_code=403)
        return [Agent(2, "Alex")]

    def own_id(self) -> int:
        return 1


class Log:
    def emit(self, event: str, **fields: object) -> dict[str, object]:
        return {}


def build(
    tmp_path: Path, desk: Agents, mode: str, index: ArticleIndex | None
) -> tuple[RunAnswers | None, list[str]]:
    settings = load_settings(
        {"TICKETBOT_ANSWER_MODE": mode, "TICKETBOT_STATE_DIR": str(tmp_path / "state")},
        env_file=None,
    )
    helpdesk: Helpdesk = desk  # type: ignore[assignment]
    return build_answers(
        settings,
        load_taxonomy(None),
        helpdesk,
        index,
        log=Log(),
        dry_run=False,
        shadow=False,
        prefix="ai_",
        alert=None,
    )


def index(tmp_path: Path) -> ArticleIndex:
    found = ArticleIndex(tmp_path / "kb.sqlite3")
    found.upsert(Article(1, "Dark mode", "<p>Open Settings.</p>", "https://h/1", "en-us", "x"))
    return found


def test_answers_are_off_unless_a_mode_is_on(tmp_path: Path) -> None:
    assert build(tmp_path, Agents(), "off", index(tmp_path)) == (None, [])


def test_without_the_index_nothing_is_answered_and_the_run_says_so(tmp_path: Path) -> None:
    answers, notes = build(tmp_path, Agents(), "send", None)
    assert answers is None
    assert "help-centre index is off" in notes[0]


def test_agents_that_cannot_be_read_turn_answers_off_for_the_run(tmp_path: Path) -> None:
    answers, notes = build(tmp_path, Agents(fail=True), "send", index(tmp_path))
    assert answers is None
    assert "agents could not be read" in notes[0]
    answers, _ = build(tmp_path, Agents(), "send", index(tmp_path))
    assert answers is not None


def test_a_damaged_book_is_set_aside_and_said(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "answers.json").write_bytes(b"{not json")
    answers, notes = build(tmp_path, Agents(), "send", index(tmp_path))
    assert answers is not None
    assert "set aside as answers.json.bad-" in notes[0]
    assert answers.book.planned() == []
    assert [p.name for p in (tmp_path / "state").iterdir() if ".bad-" in p.name]
