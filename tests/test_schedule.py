"""Schedules: a crontab line, Task Scheduler XML that parses, a CronJob that is valid YAML."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET

import pytest
import yaml

from ticket_processor.errors import ConfigError
from ticket_processor.schedule import ScheduleSpec, render

TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def posix_spec(**kwargs: object) -> ScheduleSpec:
    defaults: dict[str, object] = {
        "workdir": "/srv/ticket bot",
        "executable": "/srv/ticket bot/.venv/bin/ticketbot",
    }
    return ScheduleSpec(**{**defaults, **kwargs})  # type: ignore[arg-type]


def test_cron_line_runs_every_ten_minutes_in_the_workdir() -> None:
    text = render("cron", posix_spec())
    comment, line = text.strip().splitlines()
    assert comment.startswith("#")
    assert line.startswith("*/10 * * * * ")
    command = line.removeprefix("*/10 * * * * ")
    words = shlex.split(command)
    assert words[:2] == ["cd", "/srv/ticket bot"]
    run = words.index("/srv/ticket bot/.venv/bin/ticketbot")
    assert words[run + 1 : run + 4] == ["run", "--max-runtime", "540"]
    assert "--env-file" not in words  # .env in the workdir is read anyway
    assert words[-3:] == [">>", "/srv/ticket bot/logs/cron.log", "2>&1"]
    assert "%" not in line


def test_cron_names_an_env_file_outside_the_workdir() -> None:
    words = shlex.split(render("cron", posix_spec(env_file="/etc/ticketbot.env")).splitlines()[1])
    assert words[words.index("--env-file") + 1] == "/etc/ticketbot.env"


def test_cron_rejects_a_percent_sign() -> None:
    with pytest.raises(ConfigError, match="%"):
        render("cron", posix_spec(workdir="/srv/100%"))


@pytest.mark.parametrize("seconds", [0, 600, 900])
def test_max_runtime_must_be_below_the_interval(seconds: int) -> None:
    with pytest.raises(ConfigError, match="--max-runtime"):
        posix_spec(max_runtime=seconds)


def test_windows_task_is_valid_task_scheduler_xml() -> None:
    spec = ScheduleSpec(
        workdir="C:\\ticketbot",
        executable="C:\\ticketbot\\.venv\\Scripts\\ticketbot.exe",
        env_file="D:\\secrets\\ticketbot.env",
        max_runtime=480,
    )
    text = render("windows", spec)
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    # ElementTree refuses a str with an encoding declaration; parse the bytes as Windows would.
    root = ET.fromstring(text.encode("utf-16"))  # noqa: S314  (our own output)
    assert root.tag == f"{{{TASK_NS['t']}}}Task"
    assert root.findtext("t:Triggers/t:TimeTrigger/t:Repetition/t:Interval", None, TASK_NS) == (
        "PT10M"
    )
    settings = "t:Settings/t:"
    assert root.findtext(settings + "MultipleInstancesPolicy", None, TASK_NS) == "IgnoreNew"
    assert root.findtext(settings + "ExecutionTimeLimit", None, TASK_NS) == "PT9M"
    exec_ = "t:Actions/t:Exec/t:"
    assert root.findtext(exec_ + "WorkingDirectory", None, TASK_NS) == "C:\\ticketbot"
    assert root.findtext(exec_ + "Command", None, TASK_NS) == "cmd.exe"
    arguments = root.findtext(exec_ + "Arguments", None, TASK_NS) or ""
    assert '"C:\\ticketbot\\.venv\\Scripts\\ticketbot.exe" run --max-runtime 480' in arguments
    assert '--env-file "D:\\secrets\\ticketbot.env"' in arguments
    assert '>> "C:\\ticketbot\\logs\\task.log" 2>&1' in arguments


def test_kubernetes_cronjob_is_valid_yaml_and_forbids_overlap() -> None:
    doc = yaml.safe_load(render("kubernetes", posix_spec(image="registry.example/ticketbot:1")))
    assert doc["apiVersion"] == "batch/v1"
    assert doc["kind"] == "CronJob"
    spec = doc["spec"]
    assert spec["schedule"] == "*/10 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 600
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 600
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["image"] == "registry.example/ticketbot:1"
    assert container["args"] == ["run", "--max-runtime", "540"]
    assert container["envFrom"] == [{"secretRef": {"name": "ticketbot-env"}}]
    env = {item["name"]: item["value"] for item in container["env"]}
    mount = container["volumeMounts"][0]["mountPath"]
    assert env["TICKETBOT_STATE_DIR"].startswith(mount)
    assert env["TICKETBOT_LOG_DIR"].startswith(mount)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="cron, windows, kubernetes"):
        render("launchd", posix_spec())
