"""The help-centre suggestions against the Zendesk sandbox.

Articles are created through the Help Center API (``tests/data/kb_articles.jsonl``: our own
writing, not ``seed``'s), tickets through the ticket API (``tests/data/kb_tickets.jsonl``,
labelled with the key of the article that answers each, or null), then a real
``ticketbot run`` (rules engine: suggestions work with every engine) writes the notes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from support.cli import invoke
from support.e2e import configure, create, events, notes

from ticket_processor.helpdesks.zendesk.help_centre import (
    HelpCentreArticle,
    parse_articles,
    publish,
)
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.kb.sync import sync
from ticket_processor.run.connect import connect, load_settings

DATA = Path(__file__).resolve().parents[1] / "data"
_LINK = re.compile(r"^\s+(http\S+/hc/\S+/articles/(\d+)-\S*)$", re.MULTILINE)


class Api:
    """The Help Center API over plain ``requests``, as any script would call it."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.url = sandbox.url
        self.auth = (f"{sandbox.config.email}/token", sandbox.config.token)

    def request(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> dict[str, Any]:
        answer = requests.request(
            method, self.url + path, params=params, json=json, auth=self.auth, timeout=10
        )
        answer.raise_for_status()
        return answer.json() if answer.content else {}


def articles() -> list[HelpCentreArticle]:
    return parse_articles((DATA / "kb_articles.jsonl").read_text("utf-8").splitlines())


def tickets() -> list[dict[str, Any]]:
    lines = (DATA / "kb_tickets.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def published(sandbox: RunningSandbox) -> dict[str, int]:
    found = articles()
    ids = publish(Api(sandbox), found)
    return {str(a.key): i for a, i in zip(found, ids, strict=True)}


def ticking_clock(start: float = 1_800_000_000.0) -> Any:
    """A sandbox clock one second further on each call: every change its own second."""
    moments = iter(range(10**9))
    return lambda: start + next(moments)


def test_notes_suggest_the_answering_article_and_nothing_when_none_answers(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = published(sandbox)
    cases = tickets()
    ids = create(
        sandbox,
        [{"subject": t["subject"], "comment": {"body": t["description"]}} for t in cases],
    )
    log_dir = configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    result = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output

    answered = found_top3 = unanswered = quiet = 0
    for ticket_id, case in zip(ids, cases, strict=True):
        (note,) = notes(sandbox, ticket_id)
        suggested = [int(m.group(2)) for m in _LINK.finditer(note)]
        assert len(suggested) <= 3
        tags = set(sandbox.store.get(ticket_id)["tags"])
        assert ("ai_kb_suggested" in tags) == bool(suggested), (ticket_id, note)
        key = case["labels"]["article"]
        if key is None:
            unanswered += 1
            quiet += not suggested
        else:
            answered += 1
            found_top3 += keys[key] in suggested
    assert answered >= 10
    assert unanswered >= 10
    assert found_top3 / answered >= 0.9, f"{found_top3}/{answered} answered in the top three"
    assert quiet / unanswered >= 0.8, f"{quiet}/{unanswered} left without suggestions"
    synced = [e for e in events(log_dir) if e["event"] == "kb_synced"]
    assert synced
    assert synced[0]["indexed"] == len(keys)


def test_internal_articles_are_marked_and_the_tag_follows_the_prefix(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    published(sandbox)
    (ticket_id,) = create(
        sandbox,
        [
            {
                "subject": "Unknown device logins on my account",
                "comment": {"body": "I see logins from devices I do not recognise. Takeover?"},
            }
        ],
    )
    configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url="http://127.0.0.1:9",
        TICKETBOT_TAG_PREFIX="tb_",
    )
    assert invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z").exit_code == 0
    (note,) = notes(sandbox, ticket_id)
    assert "Escalation: suspected account takeover (internal" in note
    tags = set(sandbox.store.get(ticket_id)["tags"])
    assert "tb_kb_suggested" in tags
    assert "ai_kb_suggested" not in tags


def test_suggestions_off_leave_note_and_tags_alone(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    published(sandbox)
    (ticket_id,) = create(
        sandbox, [{"subject": "Card expired", "comment": {"body": "Where do I enter my new card?"}}]
    )
    configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url="http://127.0.0.1:9",
        TICKETBOT_KB_SUGGESTIONS="0",
    )
    assert invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z").exit_code == 0
    (note,) = notes(sandbox, ticket_id)
    assert "Help-centre articles" not in note
    assert "ai_kb_suggested" not in sandbox.store.get(ticket_id)["tags"]
    assert not (tmp_path / "state" / INDEX_FILE).exists()


def _settings(sandbox: RunningSandbox, tmp_path: Path) -> Any:
    return load_settings(
        {
            "ZENDESK_URL": sandbox.url,
            "ZENDESK_EMAIL": sandbox.config.email,
            "ZENDESK_API_TOKEN": sandbox.config.token,
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        },
        env_file=None,
    )


def test_a_second_sync_fetches_only_what_changed(sandbox_factory: Any, tmp_path: Path) -> None:
    sandbox = sandbox_factory(SandboxConfig(clock=ticking_clock()))
    keys = published(sandbox)
    api = Api(sandbox)
    helpdesk = connect(_settings(sandbox, tmp_path))
    index = ArticleIndex(tmp_path / INDEX_FILE)
    first = sync(helpdesk, index)
    assert (first.full, first.indexed, first.total) == (True, len(keys), len(keys))

    sandbox.sandbox.reset_stats()
    second = sync(helpdesk, index)
    assert not second.full
    assert second.indexed == 0
    assert sandbox.stats()["requests_total"] == 2  # user segments + one export page
    assert second.listed <= 1  # the last change, listed again on purpose

    reset = keys["reset-password"]
    api.request(
        "PUT",
        f"/api/v2/help_center/articles/{reset}/translations/en-us.json",
        json={"translation": {"body": "<p>Use the magic link on the sign-in page.</p>"}},
    )
    api.request(
        "PUT",
        f"/api/v2/help_center/articles/{keys['webhooks']}/translations/en-us.json",
        json={"translation": {"draft": True}},
    )
    sandbox.sandbox.reset_stats()
    third = sync(helpdesk, index)
    assert sandbox.stats()["requests_total"] == 2
    assert (third.indexed, third.removed) == (1, 1)
    assert third.listed <= 3
    assert "magic link" in index.body(reset, "en-us")
    assert index.count() == len(keys) - 1
    index.close()
    helpdesk.close()


def test_a_complete_listing_drops_what_is_gone(sandbox: RunningSandbox, tmp_path: Path) -> None:
    keys = published(sandbox)
    helpdesk = connect(_settings(sandbox, tmp_path))
    index = ArticleIndex(tmp_path / INDEX_FILE)
    sync(helpdesk, index)
    Api(sandbox).request("DELETE", f"/api/v2/help_center/articles/{keys['sso']}.json")
    index.set_meta("full_at", "0")  # the weekly full listing is due
    report = sync(helpdesk, index)
    assert report.full
    assert report.removed == 1
    assert report.indexed == 0
    assert keys["sso"] not in {article_id for article_id, _ in index.stamps()}
    index.close()
    helpdesk.close()


# A trigger that would run inside every sync (a slow one hung ``kb sync`` and runs), a view,
# an extra table: only the exact schema ticketbot creates is opened.
PLANTED_SCHEMA = {
    "trigger": "CREATE TRIGGER slow AFTER DELETE ON articles BEGIN "
    "SELECT count(*) FROM articles a, articles b, articles c, articles d; END",
    "view": "CREATE VIEW everything AS SELECT * FROM articles",
    "table": "CREATE TABLE extra (x)",
}


def planted_index(path: Path, statement: str) -> None:
    import sqlite3

    ArticleIndex(path).close()  # the real schema, then one thing more
    with sqlite3.connect(path) as db:
        db.execute(statement)


@pytest.mark.parametrize(
    "damage", ["garbage", "wrong_schema", "directory", "symlink", "fifo", *PLANTED_SCHEMA]
)
def test_a_damaged_index_is_set_aside_and_rebuilt(
    damage: str, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = published(sandbox)
    path = tmp_path / "state" / INDEX_FILE
    path.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.sqlite3"
    if damage == "garbage":
        path.write_bytes(b"\x00not sqlite at all" * 100)
    elif damage == "directory":
        path.mkdir()
    elif damage == "symlink":  # a good index elsewhere: neither read nor written through
        ArticleIndex(elsewhere).close()
        path.symlink_to(elsewhere)
    elif damage == "fifo":
        os.mkfifo(path)
    elif damage in PLANTED_SCHEMA:
        planted_index(path, PLANTED_SCHEMA[damage])
    else:
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE articles (id INTEGER)")
    before = elsewhere.read_bytes() if damage == "symlink" else b""
    create(sandbox, [{"subject": "Card expired", "comment": {"body": "New credit card?"}}])
    log_dir = configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    result = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    found = events(log_dir)
    aside = [e for e in found if e["event"] == "state_file_set_aside"]
    assert [e["file"] for e in aside] == [INDEX_FILE]
    assert list(path.parent.glob(f"{INDEX_FILE}.bad-*"))
    synced = [e for e in found if e["event"] == "kb_synced"]
    assert synced[0]["full"]
    assert synced[0]["articles"] == len(keys)
    if damage == "symlink":
        assert elsewhere.read_bytes() == before


def test_kb_sync_full_leaves_nothing_planted_in_the_index(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sqlite3

    published(sandbox)
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    assert invoke("kb", "sync").exit_code == 0
    path = tmp_path / "state" / INDEX_FILE
    # A row changed in place keeps its updated_at, so a sync that trusts the stamps keeps it.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE articles SET url = 'https://phish.example/login'")
        db.execute("INSERT INTO meta (key, value) VALUES ('planted', 'yes')")

    result = invoke("kb", "sync", "--full")

    assert result.exit_code == 0, result.output
    assert "the whole help centre listed" in result.output
    with sqlite3.connect(path) as db:
        urls = {row[0] for row in db.execute("SELECT url FROM articles")}
        planted = db.execute("SELECT value FROM meta WHERE key = 'planted'").fetchone()
    assert urls
    assert not any("phish" in url for url in urls), urls
    assert planted is None
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []


def test_a_failing_sync_is_a_warning_and_the_run_goes_on(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (ticket_id,) = create(sandbox, [{"subject": "Card", "comment": {"body": "New card?"}}])
    # Zendesk Guide not activated: its endpoints answer 404.
    sandbox.config.faults = ["404 GET /api/v2/help_center/user_segments"]
    log_dir = configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    result = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert [e for e in events(log_dir) if e["event"] == "kb_sync_failed"]
    assert len(notes(sandbox, ticket_id)) == 1


def test_kb_sync_and_eval_commands(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = published(sandbox)
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    assert f"{len(keys)} entries in the index: {len(keys)} articles" in synced.output
    assert f"{len(keys)} indexed (new or changed)" in synced.output
    again = invoke("kb", "sync")  # says why nothing was indexed this time
    assert again.exit_code == 0, again.output
    # It lists what changed since the first sync's export time: every article when both fell
    # in the second they were published, fewer on a slower machine; none is indexed again.
    relisted = re.search(r"(\d+) listed; \1 unchanged since the last sync", again.output)
    assert relisted is not None, again.output
    assert 1 <= int(relisted.group(1)) <= len(keys)
    assert "indexed (new or changed)" not in again.output
    assert f"{len(keys)} entries in the index: {len(keys)} articles" in again.output
    labelled = tmp_path / "labelled.jsonl"
    with labelled.open("w", encoding="utf-8") as out:
        for case in tickets():
            key = case["labels"]["article"]
            labels = {"article_id": None if key is None else keys[key]}
            out.write(json.dumps({**case, "labels": labels}) + "\n")
        out.write(json.dumps({"subject": "no label", "description": "x"}) + "\n")
    result = invoke("kb", "eval", str(labelled), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["unlabelled"] == 1
    assert figures["answerable"] == 20
    assert figures["hit@3"] >= 0.9
    assert figures["quiet"] >= 0.8
    assert figures["hit@1"] <= figures["hit@3"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert invoke("kb", "eval", str(bad)).exit_code == 2


def test_a_draft_is_grounded_in_the_articles_a_customer_may_see(
    sandbox: RunningSandbox, standin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ticket_processor.sandbox.llm_standin.answers import keyword_answer

    keys = published(sandbox)
    standin.config.answer = lambda subject, body: {
        **keyword_answer(subject, body),
        "reply_draft": "Here is how [1].",
    }
    cases = {
        "Card expired": "My credit card expired. Where do I put the new card?",
        "Unknown device logins": "Logins from devices I do not recognise: account takeover?",
        "Partnership inquiry": "We are a reseller in Brazil and want to discuss a partnership.",
    }
    ids = create(sandbox, [{"subject": s, "comment": {"body": b}} for s, b in cases.items()])
    configure(
        monkeypatch, tmp_path, sandbox=sandbox, llm_url=standin.url, TICKETBOT_REPLY_DRAFT="1"
    )
    result = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output

    prompts: dict[str, list[str]] = {}
    for body in standin.received:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        subject = next(s for s in cases if f"<subject>{s}</subject>" in user)
        prompts.setdefault(subject, []).append(user)
    assert sorted(prompts) == sorted(cases)
    assert all(len(sent) == 1 for sent in prompts.values())  # one LLM call per ticket
    system = standin.received[0]["messages"][0]["content"]
    assert "Cite each article you use by its number" in system
    assert "text of any help-centre article" in system

    card = prompts["Card expired"][0]
    assert '<article number="1" title="Update your payment method">' in card
    assert "SEPA direct debit mandate" in card  # the article's text, to quote from
    assert "No help-centre article was found" in prompts["Partnership inquiry"][0]
    takeover_note = notes(sandbox, ids[1])[0]
    assert "Escalation: suspected account takeover (internal" in takeover_note
    assert all("Never disclose the log" not in p[0] for p in prompts.values())

    card_note = notes(sandbox, ids[0])[0]
    assert "[1] Update your payment method" in card_note
    assert f"/articles/{keys['update-card']}-" in card_note
    assert "Suggested reply (draft, not sent):\nHere is how [1]." in card_note


def test_the_sandbox_help_centre_speaks_zendesk_guide(sandbox: RunningSandbox) -> None:
    keys = published(sandbox)
    api = Api(sandbox)
    german = api.request("GET", "/api/v2/help_center/de-de/articles.json")
    assert {a["locale"] for a in german["articles"]} == {"de-de"}
    assert german["count"] == 2
    found = api.request(
        "GET", "/api/v2/help_center/articles/search.json", params={"query": "card reader"}
    )
    assert found["results"][0]["id"] == keys["tracking"]
    page = api.request("GET", "/api/v2/help_center/articles.json", params={"per_page": 5})
    assert len(page["articles"]) == 5
    assert page["next_page"].startswith(sandbox.url)
    section = page["articles"][0]["section_id"]
    for missing in ("permission_group_id", "user_segment_id"):
        fields = {"title": "T", "body": "B", "permission_group_id": 360000101}
        fields["user_segment_id"] = None
        del fields[missing]
        answer = requests.post(
            f"{sandbox.url}/api/v2/help_center/sections/{section}/articles.json",
            json={"article": fields},
            auth=api.auth,
            timeout=10,
        )
        assert answer.status_code == 422
        assert missing in answer.json()["details"]
    segments = api.request("GET", "/api/v2/help_center/user_segments.json")["user_segments"]
    assert {s["user_type"] for s in segments} == {"signed_in_users", "staff"}
    gone = requests.delete(
        f"{sandbox.url}/api/v2/help_center/articles/{keys['sso']}.json", auth=api.auth, timeout=10
    )
    assert gone.status_code == 204
    assert not gone.content


def test_kb_sync_refuses_a_state_directory_anyone_may_write_to(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9")
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    state.chmod(0o777)  # anyone could plant a kb.sqlite3 with triggers here

    result = invoke("kb", "sync")

    assert result.exit_code == 2, result.output
    assert f"chmod o-w {state}" in " ".join(result.output.split())
    assert not (state / INDEX_FILE).exists()
