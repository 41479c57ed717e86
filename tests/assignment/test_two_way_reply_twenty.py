"""Twenty ``/reply`` notes in five languages on each sandbox: each becomes one public reply in
its customer's language (the stand-in LLM's record says which language it was asked for) and
the agent's note stays the one internal copy."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)


@pytest.fixture
def llm(standin: RunningStandin, monkeypatch: pytest.MonkeyPatch) -> RunningStandin:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_TWO_WAY_REPLY", "true")
    return standin


def _run() -> None:
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output


def _asked_to_translate(standin: RunningStandin, text: str) -> list[str]:
    """The languages the stand-in was asked to translate ``text`` into."""
    asked = []
    for body in standin.received:
        for message in body.get("messages") or ():
            content = str(message.get("content") or "")
            if message.get("role") == "user" and "<translate" in content and text in content:
                asked.append(content.split('to="', 1)[1].split('"', 1)[0])
    return asked


FIVE = {
    "pt": ("Encomenda não chegou", "Olá, a minha encomenda ainda não chegou e o rastreamento "
           "não mostra nada. Onde está o meu pacote?"),
    "de": ("Paket nicht angekommen", "Hallo, mein Paket ist immer noch nicht angekommen und "
           "die Sendungsverfolgung zeigt nichts an."),
    "es": ("Pedido no recibido", "Hola, mi pedido todavía no ha llegado y el seguimiento no "
           "muestra nada. ¿Dónde está mi paquete?"),
    "fr": ("Colis non reçu", "Bonjour, mon colis n'est toujours pas arrivé et le suivi ne "
           "montre rien. Où est ma commande ?"),
    "it": ("Pacco non arrivato", "Buongiorno, il mio pacco non è ancora arrivato e il "
           "tracciamento non mostra niente. Dove è il mio ordine?"),
}  # fmt: skip


def test_twenty_notes_in_five_languages_each_become_one_reply(
    desk: StaffedDesk, llm: RunningStandin
) -> None:
    agent = desk.hire("Carl Reed", desk.group("Support"), ["English"])
    languages = [code for code in FIVE for _ in range(4)]
    ids = desk.create([NewTicket(*FIVE[code]) for code in languages])
    _run()
    for n, ticket in enumerate(ids):
        desk.note_by(ticket, agent, f"/reply Your parcel {n} left our warehouse today.")
    _run()
    for n, (ticket, code) in enumerate(zip(ids, languages, strict=True)):
        text = f"Your parcel {n} left our warehouse today."
        assert [t for _, t in desk.public_replies(ticket)] == [f"[{code}] {text}"]
        assert _asked_to_translate(llm, text) == [code]
        assert sum(f"/reply {text}" in note for note in desk.internal_notes(ticket)) == 1
