"""Schedules: a crontab line, Task Scheduler XML that parses, a CronJob that is valid YAML."""

from __future__ import annotations

import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.errors import ConfigError
from ticket_processor.ops.schedule import ScheduleSpec, render

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


@pytest.mark.parametrize(
    ("env_file", "loaded"),
    [("/etc/ticketbot.env", "/etc/ticketbot.env"), ("prod.env", "/srv/ticket bot/prod.env")],
)
def test_cron_exports_an_env_file_other_than_dot_env(env_file: str, loaded: str) -> None:
    line = render("cron", posix_spec(env_file=env_file)).splitlines()[1]
    words = shlex.split(line.removeprefix("*/10 * * * * "))
    dot = words.index(".")
    assert words[dot - 3 : dot + 5] == ["set", "-a", "&&", ".", loaded, "&&", "set", "+a"]
    assert dot < words.index("/srv/ticket bot/.venv/bin/ticketbot")


def test_cron_env_file_export_works_in_a_real_shell(tmp_path: Path) -> None:
    """The generated line, run by /bin/sh with a stand-in executable, sees the variables."""
    (tmp_path / "prod.env").write_text("ZENDESK_EMAIL=ops@example.com\n", "utf-8")
    fake = tmp_path / "ticketbot"
    fake.write_text('#!/bin/sh\necho "$ZENDESK_EMAIL $*" > seen.txt\n', "utf-8")
    fake.chmod(0o755)
    spec = ScheduleSpec(workdir=str(tmp_path), executable=str(fake), env_file="prod.env")
    line = render("cron", spec).splitlines()[1].removeprefix("*/10 * * * * ")
    subprocess.run(["/bin/sh", "-c", line], check=True, cwd="/")
    assert (tmp_path / "seen.txt").read_text("utf-8").strip() == (
        "ops@example.com run --max-runtime 540"
    )
    assert (tmp_path / "logs" / "cron.log").exists()


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
        env_file="C:\\ticketbot\\.env",
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
    assert "env-file" not in arguments  # .env in the working directory is read by the run
    assert '>> "C:\\ticketbot\\logs\\task.log" 2>&1' in arguments


def test_windows_refuses_an_env_file_it_cannot_load() -> None:
    spec = ScheduleSpec(workdir="C:\\tb", executable="ticketbot.exe", env_file="D:\\x.env")
    with pytest.raises(ConfigError, match=r"C:\\tb\\.env"):
        render("windows", spec)


def test_kubernetes_cronjob_is_valid_yaml_and_forbids_overlap() -> None:
    docs = yaml.safe_load_all(
        render("kubernetes", posix_spec(image="registry.example/ticketbot:1"))
    )
    doc = next(docs)
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
    # Room for the largest peak measured (234 MiB: docs/how-to/schedule.md, "Memory"; 250 the
    # bound).
    memory = container["resources"]
    assert int(memory["requests"]["memory"].removesuffix("Mi")) >= 234 * 1.2
    assert int(memory["limits"]["memory"].removesuffix("Mi")) >= 2 * 250


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="cron, windows, kubernetes"):
        render("launchd", posix_spec())


# --- the command ---------------------------------------------------------------------


def test_schedule_command_prints_each_format(tmp_path: Path) -> None:
    runner = CliRunner()
    cron = runner.invoke(app, ["schedule", "--print", "cron", "--workdir", str(tmp_path)])
    assert cron.exit_code == 0, cron.output
    line = cron.stdout.splitlines()[1]
    assert line.startswith("*/10 * * * * cd ")
    assert str(tmp_path / "logs" / "cron.log") in line
    windows = runner.invoke(app, ["schedule", "--print", "windows", "--workdir", "C:\\tb"])
    assert windows.exit_code == 0, windows.output
    root = ET.fromstring(windows.stdout.encode("utf-16"))  # noqa: S314  (our own output)
    command = root.findtext("t:Actions/t:Exec/t:Arguments", None, TASK_NS) or ""
    assert '"C:\\tb\\.venv\\Scripts\\ticketbot.exe" run --max-runtime 540' in command
    kube = runner.invoke(
        app,
        ["schedule", "--print", "kubernetes", "--image", "r.example/tb:2", "--max-runtime", "300"],
    )
    assert kube.exit_code == 0, kube.output
    doc = next(yaml.safe_load_all(kube.stdout))
    container = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "r.example/tb:2"
    assert container["args"] == ["run", "--max-runtime", "300"]


def test_schedule_log_dir_follows_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_LOG_DIR", "/var/log/ticketbot")
    result = CliRunner().invoke(app, ["schedule", "--print", "cron", "--workdir", str(tmp_path)])
    assert ">> /var/log/ticketbot/cron.log 2>&1" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--print", "launchd"],
        ["--print", "cron", "--max-runtime", "700"],
        ["--print", "windows", "--workdir", "C:\\tb", "--env-file", "D:\\x.env"],
    ],
)
def test_schedule_command_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["schedule", *args])
    assert result.exit_code == 2
    assert "error" in result.stderr


def test_schedule_output_file_matches_its_declared_encoding(tmp_path: Path) -> None:
    target = tmp_path / "ticketbot-task.xml"
    args = ["schedule", "--print", "windows", "--workdir", "C:\\tb", "-o", str(target)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")  # a UTF-16 byte-order mark
    root = ET.fromstring(raw)  # noqa: S314  (our own output)
    assert root.findtext("t:Triggers/t:TimeTrigger/t:Repetition/t:Interval", None, TASK_NS) == (
        "PT10M"
    )


def test_kubernetes_output_gains_the_servers_deployment_and_service() -> None:
    text = render("kubernetes", posix_spec(image="registry.example/ticketbot:1"))
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert [d["kind"] for d in docs] == ["CronJob", "Deployment", "Service"]
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    deployment, service = docs[1], docs[2]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.example/ticketbot:1"
    assert container["args"][:1] == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["envFrom"] == [{"secretRef": {"name": "ticketbot-env"}}]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_kubernetes_mounts_the_settings_taxonomy_and_routes_files_from_a_configmap(
    isolated_env: Path,
) -> None:
    """The Secret made from ``.env`` carries ``TICKETBOT_ROUTES=routes.toml``, a path the pod has
    not: the manifests mount the files from one ConfigMap and point the settings at them, for
    the CronJob and serve alike, and say how to make the ConfigMap."""
    package = Path(__file__).resolve().parents[2] / "ticket_processor"
    (isolated_env / "config").mkdir()
    (isolated_env / "routes.toml").write_bytes((package / "sample_routes.toml").read_bytes())
    taxonomy = isolated_env / "config" / "taxonomy.toml"
    taxonomy.write_bytes((package / "default_taxonomy.toml").read_bytes())
    env = {"TICKETBOT_ROUTES": "routes.toml", "TICKETBOT_TAXONOMY": "config/taxonomy.toml"}
    result = CliRunner().invoke(app, ["schedule", "--print", "kubernetes"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        "#   kubectl create configmap ticketbot-files --from-file=config/taxonomy.toml "
        "--from-file=routes.toml\n"
    ) in result.stdout
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    for doc in docs[:2]:  # the CronJob's pod and serve's
        template = doc["spec"].get("jobTemplate", {}).get("spec", doc["spec"])["template"]
        pod = template["spec"]
        (container,) = pod["containers"]
        values = {item["name"]: item["value"] for item in container["env"]}
        assert values["TICKETBOT_ROUTES"] == "/etc/ticketbot/routes.toml"
        assert values["TICKETBOT_TAXONOMY"] == "/etc/ticketbot/taxonomy.toml"
        mount = next(m for m in container["volumeMounts"] if m["name"] == "files")
        assert (mount["mountPath"], mount["readOnly"]) == ("/etc/ticketbot", True)
        volume = next(v for v in pod["volumes"] if v["name"] == "files")
        assert volume["configMap"] == {"name": "ticketbot-files"}
    plain = CliRunner().invoke(app, ["schedule", "--print", "kubernetes"])
    assert "configmap" not in plain.stdout.lower()  # no files, no ConfigMap
