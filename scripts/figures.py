"""The toolbox: every figure, benchmark, drill, screenshot and trainer but the benchmark itself.

    python -m scripts.figures NAME [ARGS...]
    python -m scripts.figures NAME --help
    python -m scripts.figures --list

NAME is what the docs cite (the figure pages name the command that makes each figure); ARGS are
its own, parsed by its own parser. The commands live in a few modules beside this one, grouped by
what they measure (``figures_*.py``, ``train.py``, ``screenshots.py``, ``drills.py``): a section a
command, headed by its NAME, whose function takes the command's arguments. ``scripts/bench.py``
stays the benchmark's entry point, ``scripts/cpu_check.py`` CI's CPU check and
``scripts/incident_heldout.py`` the held-out hours' generator. A NAME's module is imported only
when that NAME runs, so one whose dependencies are not installed (Playwright, Redis) does not stop
the others.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# NAME -> (module of scripts/, its function taking argv, one line of what it does).
REGISTRY: dict[str, tuple[str, str, str]] = {
    "assignment_hour": (
        "figures_assignment",
        "assignment_hour",
        "A simulated hour of 300 tickets and 12 agents assigned by skills, load and tier",
    ),
    "assignment_language": (
        "figures_assignment",
        "assignment_language",
        "The language the skills read, on labelled multilingual sets it was not chosen on",
    ),
    "answers_figures": (
        "figures_answers",
        "answers_figures",
        "The answers' gate fitted and measured leave-one-help-centre-out",
    ),
    "answers_thresholds": (
        "figures_answers",
        "answers_thresholds",
        "The answers' threshold chosen leave-one-help-centre-out, read on the centre left out",
    ),
    "answers_answerable": (
        "figures_answers",
        "answers_answerable",
        "An answerability reading beside what ships, fitted and thresholded one dev centre out",
    ),
    "answers_signals": (
        "figures_answers",
        "answers_signals",
        "Right-vs-wrong first-article signals, leave-one-help-centre-out on the dev centres",
    ),
    "answers_walls": (
        "figures_answers",
        "answers_walls",
        "Per answerable ticket of a dev help centre, which refusal stops its answer, and why",
    ),
    "own_case_figures": (
        "figures_answers",
        "own_case_figures",
        'How often each "own case" cue fires, per help centre',
    ),
    "macros_eval": (
        "figures_learned",
        "macros_eval",
        "Suggested macros' hit@1, hit@3 and quiet share, tuned on Bitext, held out on BANKING77",
    ),
    "kb_fusion_figures": (
        "figures_answers",
        "kb_fusion_figures",
        "How the two rankings are fused, measured on the labelled help centres leave-one-out",
    ),
    "solved_figures": (
        "figures_answers",
        "solved_figures",
        "Similar solved tickets: share where one shown was solved the same way, held-out sets",
    ),
    "fault_figures": (
        "figures_incidents",
        "fault_figures",
        "The fault/request head on sources it was not fitted on, and what it costs a ticket",
    ),
    "incident_hours_banking77": (
        "figures_incidents",
        "incident_hours_banking77",
        "The incident grouping on outage hours made of BANKING77's own rows",
    ),
    "incident_dev_figures": (
        "figures_incidents",
        "incident_dev_figures",
        "The incident grouping's development figures",
    ),
    "incidents_first_day_share": (
        "figures_first_day",
        "incidents_first_day_share",
        "The first day's prior share of the hour's tickets, chosen on the dev hours",
    ),
    "repeat_pairs": (
        "figures_incidents",
        "repeat_pairs",
        "Repeat-ticket flags on pairs of a customer's two tickets within the hour",
    ),
    "incident_stages": (
        "figures_incidents",
        "incident_stages",
        "Which stage of the incident grouping keeps a labelled outage out of an incident",
    ),
    "incidents_first_seen": (
        "figures_first_seen",
        "incidents_first_seen",
        "Incidents from first-seen addresses after a week: linked, suggested, paged",
    ),
    "incidents_first_day": (
        "figures_incidents",
        "incidents_first_day",
        "Incidents on a helpdesk's first day: an ordinary and an outage hour, no history or a week",
    ),
    "incidents_first_day_dev": (
        "figures_incidents",
        "incidents_first_day_dev",
        "The hours the first-day values were chosen on (in-sample)",
    ),
    "incidents_first_day_readings": (
        "figures_incidents",
        "incidents_first_day_readings",
        "Readings of a first-day outage's members tried beside the one-fault test (dev sets)",
    ),
    "incidents_bench": (
        "figures_incidents",
        "incidents_bench",
        "What grouping tickets costs",
    ),
    "eval_learned": (
        "figures_learned",
        "eval_learned",
        "The learned engine's figures",
    ),
    "learned_cv_figures": (
        "figures_learned",
        "learned_cv_figures",
        "Repeated k-fold figures of the learned engine, per field",
    ),
    "examples_out_of_scope": (
        "figures_learned",
        "examples_out_of_scope",
        "The fallback for a ticket far from every category, one HINT3 domain left out",
    ),
    "examples_figures": (
        "figures_learned",
        "examples_figures",
        "How well the examples engine triages a taxonomy learnt from descriptions and examples",
    ),
    "calibration_figures": (
        "figures_learned",
        "calibration_figures",
        "Calibrated confidence of the learned engine on tickets it never saw",
    ),
    "bundled_calibration_figures": (
        "figures_learned",
        "bundled_calibration_figures",
        "What the learned model's category calibration changes, for a model file",
    ),
    "subcategory_figures": (
        "figures_learned",
        "subcategory_figures",
        "Subcategory macro-F1 of the rules and the learned engine on rows neither was fitted to",
    ),
    "subcategory_taxonomy": (
        "figures_learned",
        "subcategory_taxonomy",
        "Write ticket_processor/samples/taxonomy_subcategories.toml",
    ),
    "discover_figures": (
        "figures_learned",
        "discover_figures",
        "How well ticketbot discover finds known intents it is not told about, and what it costs",
    ),
    "tune_rules": (
        "figures_learned",
        "tune_rules",
        "Tune the keyword rules with held-out discipline",
    ),
    "learn_helpdesk_figures": (
        "figures_learned",
        "learn_helpdesk_figures",
        "learn --from-helpdesk figures",
    ),
    "backtracking_figures": (
        "figures_learned",
        "backtracking_figures",
        "How long a backtracking field pattern holds a matcher",
    ),
    "spam_figures": (
        "figures_spam_risk",
        "spam_figures",
        "The spam gate's held-out figures",
    ),
    "spam_customers_figures": (
        "figures_spam_risk",
        "spam_customers_figures",
        "Whether the spam gate gates customers on a guess, and what disguised spam it catches",
    ),
    "spam_first_day_figures": (
        "figures_spam_first_day",
        "spam_first_day_figures",
        "The spam gate on a fresh helpdesk: strangers gated only on proof",
    ),
    "spam_screen_spares": (
        "figures_spam_risk",
        "spam_screen_spares",
        "What the spam gate's screen spares the head on customers' tickets, and what it costs",
    ),
    "spam_email_figures": (
        "figures_spam_risk",
        "spam_email_figures",
        "What the spam gate catches of public e-mail spam (Enron-Spam: dev and held-out sources)",
    ),
    "spam_thresholds": (
        "figures_spam_risk",
        "spam_thresholds",
        "The spam head's apply threshold, chosen on the dev sets (customers, SMS chat, GP spam)",
    ),
    "sla_day": (
        "figures_sla",
        "sla_day",
        "A simulated working day on each sandbox: breaches warned of, tags, pages, calibration",
    ),
    "sla_requests": (
        "figures_sla",
        "sla_requests",
        "One run's SLA read on a 5,000-open-ticket account: requests counted, complete, seconds",
    ),
    "risk_figures": (
        "figures_spam_risk",
        "risk_figures",
        "The risk head's figures on each sandbox",
    ),
    "redaction_figures": (
        "figures_spam_risk",
        "redaction_figures",
        "Redaction figures: precision and recall on both corpora, and throughput",
    ),
    "memory_bounds": (
        "figures_scale",
        "memory_bounds",
        "Peak memory of ticketbot against answers far past any sane size, one child process a case",
    ),
    "audit_scale": (
        "figures_scale",
        "audit_scale",
        "The audit store at a million decisions",
    ),
    "audit_head_schema": (
        "figures_scale",
        "audit_head_schema",
        "Write ticket_processor/audit/head_schema.py",
    ),
    "dashboard_list_timing": (
        "figures_scale",
        "dashboard_list_timing",
        "How fast the dashboard's ticket list answers over a large audit store (SQLite by default)",
    ),
    "state_growth": (
        "figures_scale",
        "state_growth",
        "The state directory over a year of a busy helpdesk",
    ),
    "import_memory": (
        "figures_scale",
        "import_memory",
        "What importing a module costs in memory",
    ),
    "export_page_memory": (
        "figures_scale",
        "export_page_memory",
        "The memory of reading one Zendesk export page",
    ),
    "serve_latency": (
        "figures_serve",
        "serve_latency",
        "Seconds from a ticket's creation to its triage note, through ticketbot serve",
    ),
    "sharded_backfill": (
        "figures_serve",
        "sharded_backfill",
        "backfill --shard i/N in N processes on one Redis budget, against a rate-limited sandbox",
    ),
    "backfill_bench": (
        "figures_serve",
        "backfill_bench",
        "Time and peak RSS of a batch backfill, submit then collect, against a local sandbox",
    ),
    "two_installations": (
        "figures_serve",
        "two_installations",
        "Two installations of ticketbot on one Freshdesk account, started together",
    ),
    "llm_budget_bench": (
        "figures_serve",
        "llm_budget_bench",
        "Six processes on one LLM key, with and without the shared budget (TICKETBOT_LLM_BUDGET)",
    ),
    "llm_down_bench": (
        "figures_serve",
        "llm_down_bench",
        "The LLM fully down against --engine rules, on the same backlog",
    ),
    "kb_bench": (
        "figures_serve",
        "kb_bench",
        "Speed and calibration of the help-centre index",
    ),
    "profile_run": (
        "figures_cpu",
        "profile_run",
        "Where a run's CPU goes",
    ),
    "profile_stages": (
        "figures_cpu",
        "profile_stages",
        "ticketbot run in this process with CPU timers on its stages",
    ),
    "run_fingerprint": (
        "figures_cpu",
        "run_fingerprint",
        "A behaviour fingerprint of ticketbot runs",
    ),
    "encryption_cpu": (
        "figures_privacy",
        "encryption_cpu",
        "CPU of a run with customers' data encrypted at rest, against the same run without",
    ),
    "redaction_cpu": (
        "figures_cpu",
        "redaction_cpu",
        "CPU of personal-data redaction over the benchmark's ticket texts",
    ),
    "spam_reading_cpu": (
        "figures_cpu",
        "spam_reading_cpu",
        "CPU of the spam gate's reading of each benchmark ticket, lure families apart",
    ),
    "encoder_cpu": (
        "figures_cpu",
        "encoder_cpu",
        "CPU of the learned engine's sentence encoder in this process",
    ),
    "llm_call_cpu": (
        "figures_cpu",
        "llm_call_cpu",
        "CPU of one LLM call on ticketbot's side",
    ),
    "train_default_model": (
        "train",
        "train_default_model",
        "Rebuild the default model shipped in the package, reproducibly, from shippable data only",
    ),
    "train_fault_head": (
        "train",
        "train_fault_head",
        "Fit the fault/request head the incident grouping reads (incidents/fault_head.json)",
    ),
    "train_reply_model": (
        "train",
        "run_train_reply_model",
        "Rebuild the reply classifier's model shipped in the package, reproducibly",
    ),
    "train_spam_head": (
        "train",
        "train_spam_head",
        "Fit the spam gate's head (ticket_processor/spam/spam_head.json)",
    ),
    "train_spam_screen": (
        "train",
        "train_spam_screen",
        "Fit the spam gate's lexical screen (ticket_processor/spam/spam_screen.json)",
    ),
    "dashboard_screenshots": (
        "screenshots",
        "dashboard_screenshots",
        "Regenerate the README's dashboard screenshots",
    ),
    "report_screenshot": (
        "screenshots",
        "report_screenshot",
        "Regenerate docs/report.png",
    ),
    "crash_test": (
        "drills",
        "crash_test",
        "Crash consistency of ticketbot run",
    ),
    "actions_bench": (
        "figures_actions",
        "actions_bench",
        "Actions on every helpdesk: lookups, not-theirs, refunds with approval, bad days",
    ),
    "answers_crash_test": (
        "drills",
        "answers_crash_test",
        "Exactly-once replies under kill -9",
    ),
}


def command(name: str) -> Callable[[list[str]], int | None]:
    """NAME's function, its module imported now (``scripts/`` and the repository importable)."""
    module, function, _ = REGISTRY[name]
    found: Callable[[list[str]], int | None] = getattr(
        importlib.import_module(f"scripts.{module}"), function
    )
    return found


def run(name: str, argv: list[str]) -> int:
    """NAME run on its arguments: its exit status (``--help`` included)."""
    try:
        return command(name)(argv) or 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1


def check_help() -> int:
    """Every NAME's ``--help``, in this process: the names whose help fails, or 0."""
    failed = []
    for name in REGISTRY:
        with contextlib.redirect_stdout(io.StringIO()) as said:
            try:
                status = run(name, ["--help"])
            except Exception as error:  # noqa: BLE001 - every name is tried, each failure said
                failed.append(f"{name}: {error!r}")
                continue
        if status != 0 or not said.getvalue().strip():
            failed.append(f"{name}: --help exited {status} having said {said.getvalue()[:80]!r}")
    for line in failed:
        print(line, file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        width = max(map(len, REGISTRY))
        for name, (_, _, help_line) in sorted(REGISTRY.items()):
            print(f"{name:<{width}}  {help_line}")
        return 0
    if argv[0] == "--check-help":
        return check_help()
    if argv[0] not in REGISTRY:
        print(f"no such command: {argv[0]} (python -m scripts.figures --list)", file=sys.stderr)
        return 2
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
