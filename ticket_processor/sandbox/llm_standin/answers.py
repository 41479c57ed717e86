"""What the LLM stand-in answers: a deterministic analysis of the ticket in the prompt.

It parses the ticket back out of the prompt's ``<ticket>`` fence and answers with a schema-valid
analysis: from the rules engine when it can be built, else from a small keyword table. Shared by
the online chat endpoint (``server.py``) and the Batch API (``batches.py``) of the stand-in.
"""

from __future__ import annotations

import html
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any, Protocol

from ...triage.rules import RulesEngine
from ...triage.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy

AnswerFn = Callable[[str, str], dict[str, Any]]

# --- the default answer --------------------------------------------------------------------

_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("security", ("fraud", "phishing", "hacked", "unauthori", "compromised", "vulnerab")),
    ("refund", ("refund", "money back", "chargeback", "return")),
    ("billing", ("invoice", "charged", "charge", "billing", "payment", "subscription", "price")),
    ("account", ("password", "login", "log in", "sign in", "2fa", "two-factor", "account")),
    ("shipping", ("delivery", "shipping", "parcel", "tracking", "shipped", "arrived")),
    ("bug", ("crash", "error", "bug", "broken", "fails", "not working", "doesn't work")),
    ("feature_request", ("feature", "would be nice", "please add", "suggestion")),
    ("how_to", ("how do i", "how to", "how can i", "where can i")),
)
_URGENT = ("urgent", "asap", "immediately", "down", "outage", "critical", "emergency")
_NEGATIVE = ("angry", "terrible", "worst", "unacceptable", "disappointed", "furious", "broken")
_POSITIVE = ("thank", "great", "love", "awesome", "appreciate")


def keyword_answer(subject: str, body: str) -> dict[str, Any]:
    """A deterministic analysis from a few keywords: enough to look like a model."""
    text = f"{subject}\n{body}".lower()
    category = next(
        (name for name, words in _KEYWORDS if any(word in text for word in words)), "other"
    )
    urgency = "high" if any(word in text for word in _URGENT) else "medium"
    if any(word in text for word in _NEGATIVE):
        sentiment = "negative"
    elif any(word in text for word in _POSITIVE):
        sentiment = "positive"
    else:
        sentiment = "neutral"
    summary = " ".join(f"{subject}. {body}".split())[:200] or "Empty ticket."
    return {
        "category": category,
        "urgency": urgency,
        "sentiment": sentiment,
        "language": "en",
        "summary": summary,
        "confidence": 0.8,
    }


_rules_lock = threading.Lock()
_rules_answer: list[AnswerFn | None] = []


def default_answer() -> AnswerFn:
    """The rules engine's analysis when it can be built, else ``keyword_answer``."""
    with _rules_lock:
        if not _rules_answer:
            _rules_answer.append(_build_rules_answer())
        found = _rules_answer[0]
    return found if found is not None else keyword_answer


def _build_rules_answer(taxonomy: Taxonomy | None = None) -> AnswerFn | None:
    try:
        chosen = taxonomy or load_taxonomy()
        engine = RulesEngine(chosen)
    except Exception:  # noqa: BLE001 - any trouble building the rules means: use the keywords
        return None

    def answer(subject: str, body: str) -> dict[str, Any]:
        found = engine.analyse(subject, body).model_dump(mode="json", exclude_none=True)
        if chosen.has_subcategories:
            # The rules' subcategory, none included: nothing else may guess one.
            found.setdefault("subcategory", None)
        return found

    return answer


# The taxonomies ticketbot ships: a request whose schema lists exactly one of them (its
# categories and subcategories) is answered by the rules of that taxonomy, subcategories and
# all, as a run with ``--engine rules`` and that TICKETBOT_TAXONOMY would decide.
_SHIPPED = ("taxonomy_subcategories.toml",)
_shipped_answers: dict[tuple[Any, ...], AnswerFn | None] = {}


def _shipped_taxonomies() -> list[Taxonomy]:
    found = [load_taxonomy()]
    for name in _SHIPPED:
        try:
            text = (files("ticket_processor") / "samples" / name).read_text("utf-8")
            found.append(parse_taxonomy(text, source=name))
        except Exception:  # noqa: BLE001, S112 - a sample that will not load is not offered
            continue
    return found


def _shape(taxonomy: Taxonomy) -> tuple[Any, ...]:
    return tuple((c, tuple(taxonomy.subcategories_of(c))) for c in taxonomy.names)


def rules_answer_for(body: dict[str, Any]) -> AnswerFn | None:
    """The rules of the shipped taxonomy the request lists (categories and subcategories), or
    None when it lists another one."""
    enums = _schema_enums(body)
    listed = listed_subcategories(body)
    with _rules_lock:
        if not _shipped_answers:
            for taxonomy in _shipped_taxonomies():
                _shipped_answers[_shape(taxonomy)] = _build_rules_answer(taxonomy)
        categories = enums.get("category")
        for shape, answer in _shipped_answers.items():
            names = [name for name, _ in shape]
            subs = {name: list(s) for name, s in shape if s}
            if categories is not None and names == categories and subs == listed:
                return answer
    return None


# --- request parsing -----------------------------------------------------------------------

_FENCE = re.compile(r"(?s)<ticket>\s*(?:<subject>(.*?)</subject>)?\s*(?:<body>(.*?)</body>)?")


def ticket_from_messages(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """The (subject, body) inside the last user message's ``<ticket>`` fence."""
    text = ""
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = message["content"]
            if "<ticket>" in text:
                break
    found = _FENCE.search(text)
    if not found:
        return "", text
    return html.unescape((found.group(1) or "").strip()), html.unescape(
        (found.group(2) or "").strip()
    )


_TRANSLATE = re.compile(r'(?s)<translate to="([a-z]{2,3})">\n?(.*?)\n?</translate>')


def translation_of(messages: list[dict[str, Any]], *, mark: bool = False) -> str | None:
    """A translation request's answer (``LLMAnalyser.translate``), else None: the text itself.
    The stand-in knows no language, so it claims no translation: it gives the text back as it
    was (and the note says no translation is available). ``mark``: marked with the language it
    was asked in (``[de] ...``), for a test to see which text was asked of it and that its
    answer reached the note."""
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            found = _TRANSLATE.search(message["content"])
            if found is None:
                return None
            text = found.group(2).strip()
            return f"[{found.group(1)}] {text}" if mark else text
    return None


def _schema_enums(body: dict[str, Any]) -> dict[str, list[str]]:
    """The enum of each property of a json_schema response format, if one was sent."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties") or {}
    return {
        name: list(spec["enum"])
        for name, spec in properties.items()
        if isinstance(spec, dict) and isinstance(spec.get("enum"), list)
    }


def _fit_enums(analysis: dict[str, Any], enums: dict[str, list[str]]) -> dict[str, Any]:
    # A json_schema server never answers outside the schema's enums.
    fitted = dict(analysis)
    for name, allowed in enums.items():
        if name in fitted and fitted[name] not in allowed and allowed:
            fitted[name] = "other" if "other" in allowed else allowed[-1]
    return fitted


_LISTED_CATEGORY = re.compile(r"^  - ([a-z][a-z0-9_]*): ")
_LISTED_SUB = re.compile(r"^      - ([a-z][a-z0-9_]*): ")


def listed_subcategories(body: dict[str, Any]) -> dict[str, list[str]]:
    """Category -> its subcategories, as the system prompt lists them (empty: none listed)."""
    system = next(
        (
            str(m.get("content", ""))
            for m in body.get("messages") or []
            if isinstance(m, dict) and m.get("role") == "system"
        ),
        "",
    )
    listed: dict[str, list[str]] = {}
    current: str | None = None
    for line in system.splitlines():
        if found := _LISTED_CATEGORY.match(line):
            current = found.group(1)
            listed[current] = []
        elif (found := _LISTED_SUB.match(line)) and current is not None:
            listed[current].append(found.group(1))
    return {name: subs for name, subs in listed.items() if subs}


# What the stand-in takes for mail no customer wrote, when the request asks for the spam view
# (a few words of each kind, in the languages of the tests' rows; a model reads the whole mail).
_SPAM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("auto_sender", ("out of office", "automatic reply", "undeliverable", "delivery status",
                     "mailer-daemon", "do not reply", "returned mail", "abwesenheit",
                     "réponse automatique", "respuesta automática", "risposta automatica",
                     "no responda", "permanent fatal error")),
    ("phishing", ("verify your account", "mailbox is full", "confirm your credentials",
                  "password expires", "validate your mailbox", "bestätigen sie ihre",
                  "vérifiez votre compte", "verifique su cuenta", "coordonnées de votre carte")),
    ("spam", ("backlink", "link building", "guest post", "seo ", "dofollow", "sponsored",
              "patrocinado", "gastbeitrag", "website redesign")),
)  # fmt: skip


def fit_spam(
    answer: dict[str, Any], body: dict[str, Any], subject: str, text: str
) -> dict[str, Any]:
    """With ``spam`` in the request's schema, the kind the mail's words point to, else none: a
    json_schema server answers every key."""
    if "spam" not in _schema_enums(body) or "spam" in answer:
        return answer
    found = f"{subject}\n{text}".lower()
    kind = next((k for k, words in _SPAM_WORDS if any(w in found for w in words)), "none")
    return {**answer, "spam": kind}


# What the stand-in takes for a fault report, when the request asks for the fault view: a few
# words of breakage in the languages of the tests' rows (a model reads the whole ticket), and
# the words of a request, which win (a customer asking to cancel is asking, not reporting).
_FAULT_WORDS = (
    "error", "broken", "fails", "failing", "failed", "not working", "doesn't work",
    "won't work", "does nothing", "down", "crash", "went wrong", "not loading", "never loads",
    "spins", "can't pay", "cant pay", "cannot", "unable", "fehler", "geht nicht", "erreur",
    "échoue", "impossible", "no puedo", "da error", "non funziona", "errore", "werkt niet",
    "foutmelding",
)  # fmt: skip
_ASKING_WORDS = (
    "cancel", "refund", "stornieren", "annuler", "money back", "change the", "exchange",
    "how do i", "erstattung", "rembours",
)  # fmt: skip


def fit_fault(
    answer: dict[str, Any], body: dict[str, Any], subject: str, text: str
) -> dict[str, Any]:
    """With ``fault`` in the request's schema, whether the ticket's words report breakage (and
    ask for nothing): a json_schema server answers every key."""
    if "fault" not in _schema_properties(body) or "fault" in answer:
        return answer
    found = f"{subject}\n{text}".lower()
    asking = any(w in found for w in _ASKING_WORDS)
    return {**answer, "fault": not asking and any(w in found for w in _FAULT_WORDS)}


# What the stand-in takes for a ticket a person must act on, when the request asks for the
# person-needed view: words of an action asked of the company or a fault to fix, unless the
# ticket asks how to do something itself (a how-to an article answers).
_PERSON_WORDS = (
    "refund", "charged", "money back", "not working", "doesn't work", "error", "broken",
    "delete my account", "close my account", "complaint", "lawyer", "cancel my order",
    "erstattung", "rembours", "reembolso", "kaputt", "funktioniert nicht",
)  # fmt: skip
_HOW_TO = re.compile(r"(?i)\b(?:how (?:do|can) i|how to|where (?:do|can) i find|what is)\b")


def fit_person(
    answer: dict[str, Any], body: dict[str, Any], subject: str, text: str
) -> dict[str, Any]:
    """With ``person_needed`` in the request's schema, whether the ticket's words ask a person
    to act (and do not ask how), with a short reason: a json_schema server answers every key."""
    if "person_needed" not in _schema_properties(body) or "person_needed" in answer:
        return answer
    found = f"{subject}\n{text}".lower()
    word = next((w for w in _PERSON_WORDS if w in found), None)
    needed = word is not None and not _HOW_TO.search(found)
    reason = f'the customer asks for an action ("{word}")' if needed else "a how-to question"
    return {**answer, "person_needed": needed, "person_reason": reason}


_ASKED_IN = re.compile(r"ISO 639-1 code ([a-z]{2,3})")
_NEW_REPLY = re.compile(r"(?s)^The customer's new reply:\n(.*?)\n\nTheir first message:\n")


# A reply's own labels stand when the reply alone is this sure of its category: it raises a
# matter of its own. The run's default confidence threshold, so a reply the keyword rules
# would apply on its own is read on its own.
REPLY_SURE = 0.5


def answer_reply_first(answer_fn: AnswerFn, subject: str, text: str) -> dict[str, Any]:
    """The analysis as the prompt asks of a re-triage (``llm_client.prompt``'s reply rule): a new
    reply that raises a matter of its own ("someone is using my account") decides the labels;
    one that only follows up ("still broken") is read with the first message after it, which
    then carries the category. A text that is not a reply is answered as it is."""
    whole = answer_fn(subject, text)
    reply = _NEW_REPLY.match(text)
    if reply is None:
        return whole
    # The reply without the subject: the subject is the first message's.
    alone = answer_fn("", reply.group(1).strip())
    if float(alone.get("confidence") or 0.0) >= REPLY_SURE:
        return {**alone, "summary": whole.get("summary", alone.get("summary"))}
    return whole


def fit_agent_text(
    answer: dict[str, Any], body: dict[str, Any], subject: str, text: str, *, mark: bool = False
) -> dict[str, Any]:
    """With ``translation`` in the request's schema, the customer's text as a translation
    request gets it (``translation_of``): given back as it was, or ``mark``-ed with the language
    asked; empty when the answer's language is that one. So ``summary_translation``."""
    properties = _schema_properties(body)
    if "translation" not in properties or "translation" in answer:
        return answer
    asked = _ASKED_IN.search(str(properties["translation"].get("description") or ""))
    code = asked.group(1) if asked else "en"
    reply = _NEW_REPLY.match(text)
    words = reply.group(1).strip() if reply else f"{subject}\n\n{text}".strip()
    if answer.get("language") == code:
        found = {"translation": ""}
    else:
        found = {"translation": f"[{code}] {words}" if mark else words}
    if "summary_translation" in properties:
        summary = str(answer.get("summary") or "")
        found["summary_translation"] = f"[{code}] {summary}" if mark else summary
    return {**answer, **found}


def _schema_properties(body: dict[str, Any]) -> dict[str, Any]:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) else {}


def fit_subcategory(
    analysis: dict[str, Any], body: dict[str, Any], subject: str, text: str
) -> dict[str, Any]:
    """With subcategories in the request's schema, the one of the answered category whose name's
    words the ticket says most (None when none): a json_schema server answers every key."""
    if "subcategory" not in _schema_enums(body) or "subcategory" in analysis:
        return analysis
    words = set(re.findall(r"[a-z]+", f"{subject} {text}".lower()))
    best, best_hits = None, 0
    for name in listed_subcategories(body).get(str(analysis.get("category")), []):
        wanted = [word for word in name.split("_") if len(word) > 2 and word not in _FILLER]
        hits = sum(1 for word in wanted if word in words)
        if hits > best_hits and 2 * hits >= len(wanted):  # most of the name's words, said
            best, best_hits = name, hits
    return {**analysis, "subcategory": best}


_FILLER = frozenset({"about", "after", "and", "for", "from", "into", "the", "not", "why"})


# --- the answer's shape -------------------------------------------------------------------


class RawBody(str):
    """A scripted body sent as it is, not as JSON."""


def _error(message: str, kind: str, code: str | None = None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


def completion_body(
    body: dict[str, Any],
    model: str,
    content: str | None,
    finish: str,
    *,
    cached_tokens: int | None = None,
) -> dict[str, Any]:
    """A chat completion in OpenAI's shape; ``max_tokens`` cuts the content (``length``)."""
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(content, str) and isinstance(max_tokens, int) and len(content) > max_tokens * 4:
        content, finish = content[: max_tokens * 4], "length"
    completion_tokens = len(content or "") // 4 + 1
    chars = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
    prompt = chars // 4 + 1
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }
    if cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": usage,
    }


class _Received(Protocol):
    received: list[dict[str, Any]]


def iter_requests(standin: _Received) -> Iterator[str]:
    """Every user message the stand-in received, for asserting what left the machine."""
    for body in list(standin.received):
        for message in body.get("messages") or []:
            if message.get("role") == "user":
                yield str(message.get("content", ""))
