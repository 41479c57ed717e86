"""Runs killed (SIGKILL) while they send ``/reply`` translations, then a run left to finish:
every marked note became exactly one public reply, on each sandbox. The run is its own
process, as cron starts it; the sandbox's latency keeps the sends going while the kills land.
``slow``."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.desk(configure=True),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

RUN = "from ticket_processor.cli import app\napp(['run'])\n"
TICKET = NewTicket(
    "Cobrança em dobro",
    "Olá, fui cobrado duas vezes pela minha assinatura deste mês. Por favor reembolsem a "
    "segunda cobrança do cartão. Obrigado",
)


def _sent(desk: StaffedDesk, ids: list[int]) -> int:
    return sum(len(desk.public_replies(t)) for t in ids)


def test_kills_mid_send_leave_each_marker_sent_exactly_once(
    desk: StaffedDesk, standin: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    llm = {
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_TWO_WAY_REPLY": "true",
    }
    for name, value in llm.items():
        monkeypatch.setenv(name, value)
    agent = desk.hire("Carl Reed", desk.group("Billing"), ["English"])
    ids = desk.create([TICKET] * 12)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    for n, ticket in enumerate(ids):
        desk.note_by(ticket, agent, f"/reply Refund number {n} is on its way.")
    desk.sandbox.config.latency_ms = 40.0
    env = dict(os.environ)  # the desk's, the LLM's and the state's, as the fixtures set them
    kills = 0
    for _ in range(4):
        before = _sent(desk, ids)
        process = subprocess.Popen([sys.executable, "-c", RUN], env=env)
        deadline = time.monotonic() + 60
        while _sent(desk, ids) < before + rng.randint(1, 3) and process.poll() is None:
            assert time.monotonic() < deadline, "the run sent nothing"
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    desk.sandbox.config.latency_ms = 0.0
    for ticket in ids:  # the next run's feed shows each ticket changed
        desk.note_by(ticket, agent, "checking")
    final = subprocess.run([sys.executable, "-c", RUN], env=env, check=False)
    assert final.returncode == 0
    assert kills >= 1
    for n, ticket in enumerate(ids):
        replies = [text for _, text in desk.public_replies(ticket)]
        assert replies == [f"[pt] Refund number {n} is on its way."], ticket
