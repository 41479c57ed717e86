"""Schedule definitions for running ``ticketbot run`` every 10 minutes: cron, Windows, Kubernetes.

Pure text generation; ``cli.py`` prints the result. Every form starts the run in the right
working directory (so the state and log directories resolve where the operator expects),
loads the env file (``.env`` there is read by the run itself), passes a ``--max-runtime``
below the interval so a run never overlaps the next, and keeps the output in the log
directory. Overlap is refused twice over: by the scheduler (``IgnoreNew``,
``concurrencyPolicy: Forbid``) and by the run's own lock.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from xml.sax.saxutils import escape

from .. import __version__
from ..errors import ConfigError
from .kube import (
    DEFAULT_IMAGE,
    GRACE_SECONDS,
    CronJob,
    backfill_job_yaml,
    configmap_line,
    container_files,
    cronjob_yaml,
    serve_manifests,
)

FORMATS = ("cron", "windows", "kubernetes")
INTERVAL_MINUTES = 10
DEFAULT_MAX_RUNTIME = 540


@dataclass(frozen=True)
class ScheduleSpec:
    """What a schedule runs: where, with which settings file, for how long at most."""

    workdir: str
    executable: str
    env_file: str | None = None
    max_runtime: int = DEFAULT_MAX_RUNTIME
    log_dir: str = "logs"
    interval_minutes: int = INTERVAL_MINUTES
    image: str = DEFAULT_IMAGE
    secret_name: str = "ticketbot-env"  # noqa: S105  (a Secret object name, not a secret)
    weekly_learn: bool = False  # cron: also the weekly learn --from-helpdesk --promote
    # The settings' taxonomy and routes files, as local paths (kubernetes: a ConfigMap's sources).
    taxonomy: str | None = None
    routes: str | None = None

    def __post_init__(self) -> None:
        interval = self.interval_minutes * 60
        if not 0 < self.max_runtime < interval:
            raise ConfigError(
                f"--max-runtime: {self.max_runtime} s must be above 0 and below the "
                f"{interval} s interval, or runs would overlap (540 leaves a minute to flush)"
            )

    @property
    def run_args(self) -> list[str]:
        return ["run", "--max-runtime", str(self.max_runtime)]

    @property
    def description(self) -> str:
        return (
            f"ticketbot {__version__}: triage new helpdesk tickets "
            f"every {self.interval_minutes} minutes"
        )


def _explicit_env_file(spec: ScheduleSpec, flavour: type[PurePath]) -> str | None:
    """The env file to name, or None when it is ``.env`` in the working directory (read anyway)."""
    if spec.env_file is None:
        return None
    path = flavour(spec.env_file)
    if path in (flavour(".env"), flavour(spec.workdir) / ".env"):
        return None
    return spec.env_file


def cron_entry(spec: ScheduleSpec) -> str:
    """A crontab entry (with a comment line) for ``crontab -e``."""
    workdir = PurePosixPath(spec.workdir)
    log_dir = workdir / spec.log_dir
    steps = [f"cd {shlex.quote(str(workdir))}", f"mkdir -p {shlex.quote(str(log_dir))}"]
    env_file = _explicit_env_file(spec, PurePosixPath)
    if env_file:
        # The run reads .env from its working directory by itself; any other file is exported
        # into its environment (plain KEY=value lines, as python-dotenv writes them).
        # (absolute: a bare name after "." would be looked up on PATH)
        steps.append(f"set -a && . {shlex.quote(str(workdir / env_file))} && set +a")
    command = " ".join(shlex.quote(part) for part in [spec.executable, *spec.run_args])
    steps.append(f"{command} >> {shlex.quote(str(log_dir / 'cron.log'))} 2>&1")
    # cron treats an unescaped % as a newline, so the entry must not contain one.
    line = f"*/{spec.interval_minutes} * * * * " + " && ".join(steps)
    if "%" in line:
        raise ConfigError("cron: paths must not contain '%' (cron reads it as a newline)")
    entry = f"# {spec.description}\n{line}\n"
    if spec.weekly_learn:
        learn = " ".join(
            shlex.quote(part) for part in [spec.executable, "learn", "--from-helpdesk", "--promote"]
        )
        weekly = " && ".join(
            [*steps[:-1], f"{learn} >> {shlex.quote(str(log_dir / 'learn.log'))} 2>&1"]
        )
        entry += (
            "# weekly, Sunday 03:17: a candidate model from agents' labels, promoted only if it "
            "is not worse on any field\n"
            f"17 3 * * 0 {weekly}\n"
        )
    return entry


def _cmd_quote(text: str) -> str:
    if '"' in text:
        raise ConfigError(f"windows: {text!r} must not contain a double quote")
    return f'"{text}"'


def windows_task_xml(spec: ScheduleSpec) -> str:
    """A Task Scheduler definition for ``schtasks /Create /XML ticketbot.xml /TN ticketbot``.

    The action is ``cmd.exe /c`` around the run so its output lands in the log directory;
    Task Scheduler itself keeps no output.
    """
    workdir = PureWindowsPath(spec.workdir)
    log_file = workdir / spec.log_dir / "task.log"
    if _explicit_env_file(spec, PureWindowsPath):
        raise ConfigError(
            f"--env-file: a scheduled task reads the settings from {workdir / '.env'}; "
            "copy the file there (or set the variables for the task's user)"
        )
    run = " ".join(spec.run_args)
    # cmd /c strips the first and the last quote when the line starts with one, hence the pair.
    inner = f"{_cmd_quote(spec.executable)} {run} >> {_cmd_quote(str(log_file))} 2>&1"
    arguments = f'/d /c "if not exist {_cmd_quote(str(log_file.parent))} mkdir '
    arguments += f'{_cmd_quote(str(log_file.parent))} & {inner}"'
    limit_minutes = -(-(spec.max_runtime + GRACE_SECONDS) // 60)
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>{escape(spec.description)}</Description>
    <URI>\\ticketbot</URI>
  </RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <Repetition>
        <Interval>PT{spec.interval_minutes}M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2026-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>S4U</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT{limit_minutes}M</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>cmd.exe</Command>
      <Arguments>{escape(arguments)}</Arguments>
      <WorkingDirectory>{escape(str(workdir))}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


def kubernetes_cronjob(spec: ScheduleSpec) -> str:
    """A ``batch/v1`` CronJob; settings and secrets come from a Secret made from the env file.
    Then ``ticketbot serve``'s Deployment and Service (``kube.serve_manifests``).

    For several helpdesk accounts, ``kube.accounts_manifests`` renders one per account.
    """
    env_file = spec.env_file or ".env"
    files, config_map = _container_files(spec)
    job = CronJob(
        name="ticketbot",
        schedule=f"*/{spec.interval_minutes} * * * *",
        max_runtime=spec.max_runtime,
        interval_minutes=spec.interval_minutes,
        image=spec.image,
        secret_name=spec.secret_name,
        env=files,
        config_map=config_map,
    )
    files_comment = _files_comment(spec, config_map)
    serve = serve_manifests(
        image=spec.image, secret_name=spec.secret_name, files=files, config_map=config_map
    )
    secret = (
        "# Settings and secrets come from a Secret made from your env file:\n"
        f"#   kubectl create secret generic {spec.secret_name} --from-env-file={env_file}\n"
    )
    volume = (
        "# State (cursor, breakers, cache) and logs live on a volume so they survive between "
        "runs:\n"
        f"#   a PersistentVolumeClaim named {job.claim} (ticketbot schedule --print kubernetes\n"
        "#   --accounts accounts.toml renders the claims too).\n"
    )
    return f"# {spec.description}.\n{secret}{files_comment}{volume}{cronjob_yaml(job)}{serve}"


def kubernetes_backfill(spec: ScheduleSpec, *, shards: int, since: str) -> str:
    """The Indexed Job of a sharded backfill (``kube.backfill_job_yaml``), with the settings'
    taxonomy and routes files mounted from the ConfigMap the CronJob mounts, the same way."""
    files, config_map = _container_files(spec)
    job = backfill_job_yaml(
        shards=shards,
        since=since,
        image=spec.image,
        secret_name=spec.secret_name,
        files=files,
        config_map=config_map,
    )
    return f"{_files_comment(spec, config_map)}{job}"


def _container_files(spec: ScheduleSpec) -> tuple[dict[str, str], str | None]:
    """The settings' taxonomy and routes files in the container, and their ConfigMap's name
    (None: no file). The env file names them by local paths, which the pod has not: they come
    from a ConfigMap mounted read-only, and the manifest points the settings there (a
    container's ``env`` wins over its ``envFrom``), as each account's CronJob does."""
    files = container_files(
        spec.taxonomy, spec.routes, whose="TICKETBOT_TAXONOMY and TICKETBOT_ROUTES"
    )
    return files, "ticketbot-files" if files else None


def _files_comment(spec: ScheduleSpec, config_map: str | None) -> str:
    """How to make the ConfigMap, as comment lines before the manifest ('' without one)."""
    if not config_map:
        return ""
    return (
        "# The taxonomy and routes files, at /etc/ticketbot (the settings point there):\n"
        f"#   {configmap_line(config_map, (spec.taxonomy, spec.routes))}\n"
    )


def render(kind: str, spec: ScheduleSpec) -> str:
    """The schedule of ``kind`` (one of ``FORMATS``) for ``spec``."""
    if kind == "cron":
        return cron_entry(spec)
    if kind == "windows":
        return windows_task_xml(spec)
    if kind == "kubernetes":
        return kubernetes_cronjob(spec)
    raise ConfigError(f"--print: {kind!r} is not one of {', '.join(FORMATS)}")


def default_executable(python: Path, *, windows: bool) -> str:
    """The ``ticketbot`` script installed next to the interpreter (cron has almost no PATH)."""
    name = "ticketbot.exe" if windows else "ticketbot"
    candidate = python.parent / name
    return str(candidate) if candidate.exists() else name
