"""A process that imports ticketbot's LLM engine does not import the SDK's model packages it
never reads (the Responses API's models, every API's types gathered in ``openai.types``), and
still has all of them when asked: ``openai.types.Batch`` and ``openai.types.responses.Response``
resolve, and a call to the stand-in is triaged. Each case in a fresh interpreter: the lazy
packages are put in place only before the SDK's first import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ticket_processor.sandbox.llm_standin.server import RunningStandin

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import json, sys
from ticket_processor.llm import LLMAnalyser
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

def loaded(name):
    return name in sys.modules and "__getattr__" not in vars(sys.modules[name])

analyser = LLMAnalyser(
    models=("stand-in",), taxonomy=load_taxonomy(), api_key="sk-test", base_url=sys.argv[1]
)
triage = analyser.analyse(prepare_ticket("Charged twice", "Please refund order 4411."))
analyser.close()
seen = {
    "engine": triage.engine,
    "types_run": loaded("openai.types"),
    "responses_run": loaded("openai.types.responses"),
    "responses_modules": sum(name.startswith("openai.types.responses.") for name in sys.modules),
}
import openai
from openai.types.responses import Response
seen["batch"] = openai.types.Batch.__name__
seen["response"] = Response.__name__
seen["types_run_after"] = loaded("openai.types")
print(json.dumps(seen))
"""


def test_the_sdks_unread_model_packages_wait_until_asked_for(standin: RunningStandin) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, standin.url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["engine"] == "llm"
    assert not seen["types_run"]
    assert not seen["responses_run"]
    assert seen["responses_modules"] < 20  # of about 600: those the SDK's client itself reads
    assert seen["batch"] == "Batch"
    assert seen["response"] == "Response"
    assert seen["types_run_after"]
