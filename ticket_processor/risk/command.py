"""``ticketbot learn --risk``: the risk head from how solved tickets ended; ``eval --risk``: its
scores on a labelled file.

From the configured helpdesk's solved tickets (``--from-helpdesk``: their satisfaction ratings,
reopens and escalations, ``risk.harvest``) or from DATA's rows with an ``outcome``
(``risk.labelled``); fitted, scored against the rules on a held-out fifth and written beside
the learned model only when it beats them (``risk.learn``). ``learn --from-helpdesk`` runs it
too, after the label model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..common.timespec import parse_moment
from ..errors import ConfigError
from ..run.connect import connect
from ..settings import Settings
from ..steps.feature import EvalAsk
from .learn import RiskLearned, learn_risk


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def describe(result: RiskLearned) -> list[str]:
    lines = [
        f"risk: {result.rows} solved tickets, {result.bad} ended badly; held out {result.held_out}",
        f"  held-out AUC: head {_figure(result.head_auc)}, rules {_figure(result.rules_auc)}"
        + (f", head in use {_figure(result.in_use_auc)}" if result.in_use_auc is not None else ""),
        f"  held-out ECE: head {_figure(result.head_ece)}, rules {_figure(result.rules_ece)}",
    ]
    if result.written is not None:
        lines.append(f"risk head written to {result.written}")
    else:
        lines.append(f"risk head not written: {result.why_not}; what runs use stays")
    return lines


def learn_risk_command(
    settings: Settings,
    target: Path,
    data: Path | None,
    since: str,
    *,
    force: bool = False,
    console: Console | None = None,
) -> RiskLearned:
    """Learn the risk head from the helpdesk (``data`` None) or DATA, and say what it did."""
    from ..learned.embed import Encoder
    from .harvest import harvest_outcomes
    from .labelled import read_outcomes

    console = console or Console(highlight=False)
    if data is not None:
        rows, source = read_outcomes(data), str(data)
    else:
        start = parse_moment(since, now=datetime.now(UTC), flag="--since")
        helpdesk = connect(settings)
        try:
            rows = harvest_outcomes(helpdesk, int(start.timestamp())).rows
        finally:
            helpdesk.close()
        source = "--from-helpdesk"
    if len(rows) < 20:
        raise ConfigError(
            f"{source}: {len(rows)} solved tickets with an outcome; the risk head needs 20 at least"
        )
    try:
        result = learn_risk(rows, target, Encoder().encode, source=source, force=force)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    for line in describe(result):
        console.print(escape(line))
    return result


def eval_risk(settings: Settings, file: Path, *, as_json: bool) -> None:
    """``eval --risk FILE``: the rules' AUC and ECE on FILE's rows with an outcome, and the
    learned head's (the one beside the model in use) when there is one."""
    import orjson

    from ..learned import MODEL_FILE_NAME
    from .head import load_risk_head
    from .labelled import prepare_rows, read_outcomes, score_prepared, vectors_of
    from .scorer import head_path

    prepared = prepare_rows(read_outcomes(file))
    head = load_risk_head(head_path(settings.learned_model or settings.state_dir / MODEL_FILE_NAME))
    vectors = None
    if head is not None:
        from ..learned.embed import Encoder

        vectors = vectors_of(prepared.texts, Encoder().encode)
    scores = score_prepared(prepared, head, vectors)
    if as_json:
        print(orjson.dumps(scores.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(highlight=False)
    console.print(f"{scores.rows} tickets, {scores.bad} rated bad, reopened or escalated")
    console.print(f"rules: AUC {_figure(scores.rules_auc)}  ECE {_figure(scores.rules_ece)}")
    if head is not None:
        head_figures = f"AUC {_figure(scores.head_auc)}  ECE {_figure(scores.head_ece)}"
        console.print(f"learned head: {head_figures}")
    else:
        console.print("no learned risk head (learn --risk writes one)")


def eval_risk_command(ask: EvalAsk) -> None:
    """``eval --risk FILE``, its settings read with ``--model``."""
    from ..commands.common import exit_codes, load

    with exit_codes():
        eval_risk(load({"learned_model": ask.model}), ask.file, as_json=ask.as_json)
