"""Kubernetes manifests: one CronJob (and its state volume) per ticketbot account.

Pure text generation; ``ticketbot schedule --print kubernetes [--accounts accounts.toml]``
prints it for ``kubectl apply -f -``. Kubernetes does the distribution: each account is its
own CronJob, so the cluster places the pods wherever there is room and never starts a second
one for an account while the first is still going (``concurrencyPolicy: Forbid``); ticketbot
itself schedules nothing. Paths inside the container follow the ``Dockerfile``: state and logs
under ``/data`` (one PersistentVolumeClaim per account), taxonomy and routes from a ConfigMap
under ``/etc/ticketbot``, user 10001.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .. import __version__
from ..errors import ConfigError
from .accounts import Account

IMAGE_NAME = "ticketbot"
# The tag docs/how-to/schedule.md builds the Dockerfile as.
DEFAULT_IMAGE = f"{IMAGE_NAME}:{__version__}"
DATA_DIR = "/data"
FILES_DIR = "/etc/ticketbot"
USER_ID = 10001
GRACE_SECONDS = 60
STORAGE = "1Gi"
_q = json.dumps  # a JSON string is a valid YAML scalar, quoting done right


@dataclass(frozen=True)
class CronJob:
    """What differs between two ticketbot CronJobs."""

    name: str
    schedule: str
    max_runtime: int
    interval_minutes: int
    image: str = DEFAULT_IMAGE
    secret_name: str = "ticketbot-env"  # noqa: S105  (a Secret object name, not a secret)
    claim: str = "ticketbot-data"
    instance: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_from_secret: dict[str, str] = field(default_factory=dict)  # variable -> key in the Secret
    config_map: str | None = None


# The pod's memory (docs/how-to/schedule.md, "Memory", which holds the figure): the largest
# measured peak, 234 MiB, plus about 23 % as the request; twice the 250 MiB bound as the limit.
MEMORY_REQUEST = "288Mi"
MEMORY_LIMIT = "512Mi"


def cronjob_yaml(job: CronJob) -> str:
    """The ``batch/v1`` CronJob document (no ``---``, no comments)."""
    labels = f"    app.kubernetes.io/name: {IMAGE_NAME}\n"
    if job.instance:
        labels += f"    app.kubernetes.io/instance: {_q(job.instance)}\n"
    pod_labels = "".join(f"            {line.strip()}\n" for line in labels.splitlines())
    env = {
        "TICKETBOT_STATE_DIR": f"{DATA_DIR}/state",
        "TICKETBOT_LOG_DIR": f"{DATA_DIR}/logs",
        **job.env,
    }
    env_lines = "".join(
        f"                - name: {_q(k)}\n                  value: {_q(v)}\n"
        for k, v in env.items()
    )
    env_lines += "".join(
        f"                - name: {_q(k)}\n                  valueFrom:\n"
        f"                    secretKeyRef:\n                      name: {_q(job.secret_name)}\n"
        f"                      key: {_q(key)}\n"
        for k, key in job.env_from_secret.items()
    )
    mounts = f"                - name: data\n                  mountPath: {_q(DATA_DIR)}\n"
    volumes = (
        f"            - name: data\n              persistentVolumeClaim:\n"
        f"                claimName: {_q(job.claim)}\n"
    )
    if job.config_map:
        mounts += (
            f"                - name: files\n                  mountPath: {_q(FILES_DIR)}\n"
            "                  readOnly: true\n"
        )
        volumes += (
            f"            - name: files\n              configMap:\n"
            f"                name: {_q(job.config_map)}\n"
        )
    args = ", ".join(_q(a) for a in ("run", "--max-runtime", str(job.max_runtime)))
    return f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: {_q(job.name)}
  labels:
{labels}spec:
  schedule: {_q(job.schedule)}
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: {job.interval_minutes * 60 // 2}
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 5
  jobTemplate:
    spec:
      backoffLimit: 0
      activeDeadlineSeconds: {job.max_runtime + GRACE_SECONDS}
      template:
        metadata:
          labels:
{pod_labels}        spec:
          restartPolicy: Never
          securityContext:
            runAsNonRoot: true
            runAsUser: {USER_ID}
            runAsGroup: {USER_ID}
            fsGroup: {USER_ID}
          containers:
            - name: ticketbot
              image: {_q(job.image)}
              command: ["ticketbot"]
              args: [{args}]
              workingDir: {_q(DATA_DIR)}
              envFrom:
                - secretRef:
                    name: {_q(job.secret_name)}
              env:
{env_lines}              # Every run is held under 250 MiB; the largest measured peak is 234 MiB
              # (docs/how-to/schedule.md, "Memory"). Request: that peak plus about 23 %;
              # limit: twice the bound.
              resources:
                requests:
                  cpu: 100m
                  memory: {MEMORY_REQUEST}
                limits:
                  memory: {MEMORY_LIMIT}
              securityContext:
                allowPrivilegeEscalation: false
              volumeMounts:
{mounts}          volumes:
{volumes}"""


def claim_yaml(name: str, instance: str | None = None) -> str:
    """The PersistentVolumeClaim that keeps one account's state and logs between runs."""
    instance_label = f"    app.kubernetes.io/instance: {_q(instance)}\n" if instance else ""
    return f"""apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {_q(name)}
  labels:
    app.kubernetes.io/name: {IMAGE_NAME}
{instance_label}spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: {STORAGE}
"""


def every(interval_minutes: int, offset: int = 0) -> str:
    """Cron for every ``interval_minutes`` (a divisor of 60), starting ``offset`` minutes in."""
    offset %= interval_minutes
    if interval_minutes == 60:
        return f"{offset} * * * *"
    if offset == 0:
        return f"*/{interval_minutes} * * * *"
    return f"{offset}-59/{interval_minutes} * * * *"


def container_files(taxonomy: str | None, routes: str | None, *, whose: str) -> dict[str, str]:
    """Variable -> path in the container (under ``FILES_DIR``, from one ConfigMap) for a
    taxonomy and a routes file given as local paths. ``whose``: how a refusal names them."""
    paths = {
        var: PurePosixPath(path.replace("\\", "/")).name
        for var, path in (("TICKETBOT_TAXONOMY", taxonomy), ("TICKETBOT_ROUTES", routes))
        if path
    }
    if len(set(paths.values())) < len(paths):
        raise ConfigError(
            f"{whose}: the two files need different names (both go into one ConfigMap)"
        )
    return {var: f"{FILES_DIR}/{name}" for var, name in paths.items()}


def configmap_line(name: str, local_paths: Iterable[str | None]) -> str:
    """The ``kubectl create configmap`` command a manifest's comment gives for its files."""
    sources = " ".join(f"--from-file={p}" for p in local_paths if p)
    return f"kubectl create configmap {name} {sources}"


def _files(account: Account) -> dict[str, str]:
    """Variable -> path in the container for the account's taxonomy and routes files."""
    return container_files(
        account.taxonomy,
        account.routes,
        whose=f"accounts: [account.{account.name}] taxonomy and routes",
    )


def account_cronjob(account: Account, *, image: str = DEFAULT_IMAGE) -> CronJob:
    """The CronJob of one account; starts are spread over the interval by the account's name."""
    files = _files(account)
    local_only = {"TICKETBOT_STATE_DIR", "TICKETBOT_LOG_DIR", *files}
    env = {"TICKETBOT_ACCOUNT": account.name, "TICKETBOT_HELPDESK": account.helpdesk}
    env.update({k: v for k, v in account.values.items() if k not in local_only})
    env.update(files)
    return CronJob(
        name=f"ticketbot-{account.name}",
        instance=account.name,
        schedule=every(account.interval_minutes, zlib.crc32(account.name.encode())),
        max_runtime=account.run_seconds,
        interval_minutes=account.interval_minutes,
        image=image,
        secret_name=account.secret_name,
        claim=f"ticketbot-{account.name}-data",
        env=env,
        env_from_secret=dict(account.credentials),
        config_map=f"ticketbot-{account.name}-files" if files else None,
    )


def _account_comment(account: Account, job: CronJob) -> str:
    lines = [
        f"# account {account.name} ({account.helpdesk}): {job.schedule!r}, "
        f"--max-runtime {job.max_runtime} s",
        f"#   kubectl create secret generic {job.secret_name} --from-env-file={account.name}.env",
    ]
    if job.config_map:
        lines.append(f"#   {configmap_line(job.config_map, (account.taxonomy, account.routes))}")
    return "\n".join(lines) + "\n"


def accounts_manifests(accounts: Mapping[str, Account] | Iterable[Account], *, image: str) -> str:
    """Multi-document YAML: per account a PersistentVolumeClaim and a CronJob."""
    chosen: Sequence[Account] = list(
        accounts.values() if isinstance(accounts, Mapping) else accounts
    )
    if not chosen:
        raise ConfigError("accounts: no account to schedule")
    docs = [
        f"# ticketbot {__version__}: one CronJob per account; kubectl apply -f this file.\n"
        "# Each account's credentials come from its own Secret (made first, as shown).\n"
    ]
    for account in chosen:
        job = account_cronjob(account, image=image)
        docs.append(
            "---\n"
            + _account_comment(account, job)
            + claim_yaml(job.claim, account.name)
            + "---\n"
            + cronjob_yaml(job)
        )
    return "".join(docs)


# A sharded backfill's pods at once: each takes LLM calls and helpdesk writes from the same
# account, so a few side by side, not all (the shared LLM budget paces them further).
DEFAULT_BACKFILL_PARALLELISM = 4


def backfill_job_yaml(
    *,
    shards: int,
    since: str,
    parallelism: int = DEFAULT_BACKFILL_PARALLELISM,
    image: str = DEFAULT_IMAGE,
    secret_name: str = "ticketbot-env",  # noqa: S107  (a Secret object name, not a secret)
    claim: str = "ticketbot-data",
    files: Mapping[str, str] | None = None,
    config_map: str | None = None,
) -> str:
    """A ``batch/v1`` Indexed Job: ``shards`` pods, each ``ticketbot backfill --shards N`` with
    its index from ``JOB_COMPLETION_INDEX``, at most ``parallelism`` at once; a failed index is
    retried alone, and a shard run again resumes from its own cursor. ``files`` (variable ->
    path in the container) from the ConfigMap ``config_map``, as the CronJob has them: a
    backfill without the routes and taxonomy would triage by the defaults and route nothing."""
    if not 1 <= shards <= 1000:
        raise ConfigError("--shards: between 1 and 1000")
    running = max(1, min(parallelism, shards))
    pod = _pod_spec(
        first="      restartPolicy: Never\n",
        image=image,
        args=["backfill", "--since", since, "--shards", str(shards), "--no-batch"],
        secret_name=secret_name,
        volume=f"          persistentVolumeClaim:\n            claimName: {_q(claim)}\n",
        files=files,
        config_map=config_map,
    )
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: "ticketbot-backfill"
  labels:
    app.kubernetes.io/name: {IMAGE_NAME}
    app.kubernetes.io/component: backfill
spec:
  completionMode: Indexed
  completions: {shards}
  parallelism: {running}
  backoffLimitPerIndex: 2
  maxFailedIndexes: {max(1, shards // 10)}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {IMAGE_NAME}
        app.kubernetes.io/component: backfill
{pod}"""


# ``ticketbot serve``: webhooks in, within seconds. The Deployment's replicas share the delivery
# queue in PostgreSQL (TICKETBOT_DATABASE_URL, in the Secret) and take deliveries with FOR UPDATE
# SKIP LOCKED; their write claims are PostgreSQL advisory locks the CronJob's runs take too, so
# a run and a replica never write one ticket at once. Each pod's own state (its write journal
# and reply book) is on an emptyDir: the shared truth is the queue and the tickets' trailers.
SERVE_NAME = "ticketbot-serve"
SERVE_PORT = 8080
SERVE_REPLICAS = 2
SERVE_STOP_SECONDS = 45  # SIGTERM: requests under way, analyses under way, the last writes


def serve_deployment_yaml(
    *,
    image: str = DEFAULT_IMAGE,
    secret_name: str = "ticketbot-env",  # noqa: S107 - a Secret object's name
    replicas: int = SERVE_REPLICAS,
    files: Mapping[str, str] | None = None,
    config_map: str | None = None,
) -> str:
    """The ``apps/v1`` Deployment of ``ticketbot serve`` (no ``---``, no comments)."""
    probe = "          {kind}:\n            httpGet:\n              path: {path}\n" + (
        f"              port: {SERVE_PORT}\n"
        "            periodSeconds: 10\n            timeoutSeconds: 5\n"
    )
    ready = probe.format(kind="readinessProbe", path="/readyz")
    alive = probe.format(kind="livenessProbe", path="/healthz")
    pod = _pod_spec(
        first=f"      terminationGracePeriodSeconds: {SERVE_STOP_SECONDS}\n",
        image=image,
        # In a pod the Service reaches it on the pod's address; the secrets gate it.
        args=["serve", "--host", "0.0.0.0", "--port", str(SERVE_PORT)],  # noqa: S104
        secret_name=secret_name,
        volume="          emptyDir: {}\n",
        ports=(
            f"          ports:\n            - name: http\n"
            f"              containerPort: {SERVE_PORT}\n"
        ),
        probes=ready + alive,
        files=files,
        config_map=config_map,
    )
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {SERVE_NAME}
  labels:
    app.kubernetes.io/name: {IMAGE_NAME}
    app.kubernetes.io/component: serve
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {IMAGE_NAME}
      app.kubernetes.io/component: serve
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {IMAGE_NAME}
        app.kubernetes.io/component: serve
{pod}"""


def serve_service_yaml() -> str:
    """The Service in front of the serve replicas (point an Ingress at it for the helpdesk)."""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {SERVE_NAME}
  labels:
    app.kubernetes.io/name: {IMAGE_NAME}
    app.kubernetes.io/component: serve
spec:
  selector:
    app.kubernetes.io/name: {IMAGE_NAME}
    app.kubernetes.io/component: serve
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def serve_manifests(
    *,
    image: str = DEFAULT_IMAGE,
    secret_name: str = "ticketbot-env",  # noqa: S107 - a Secret object's name
    files: Mapping[str, str] | None = None,
    config_map: str | None = None,
) -> str:
    """The Deployment and Service of ``ticketbot serve``, as YAML documents after a ``---``;
    ``files`` (variable -> path in the container) from the ConfigMap ``config_map``, as the
    CronJob has them."""
    return (
        "---\n"
        "# ticketbot serve: the helpdesk's webhooks in (docs/how-to/serve.md). The Secret\n"
        "# also holds TICKETBOT_SERVE_SECRET, TICKETBOT_SERVE_TOKEN and TICKETBOT_DATABASE_URL\n"
        "# (postgresql://...: the replicas' shared delivery queue; without it keep replicas: 1).\n"
        "# The helpdesk reaches it through an Ingress (TLS) you point at this Service.\n"
        + serve_deployment_yaml(
            image=image, secret_name=secret_name, files=files, config_map=config_map
        )
        + "---\n"
        + serve_service_yaml()
    )


def _pod_spec(
    *,
    first: str,
    image: str,
    args: Sequence[str],
    secret_name: str,
    volume: str,
    ports: str = "",
    probes: str = "",
    files: Mapping[str, str] | None = None,
    config_map: str | None = None,
) -> str:
    """A ticketbot pod's ``spec:`` under a Job's or a Deployment's ``template`` (indented for
    it): the non-root user, the one container with the Secret's variables, the state and logs
    under ``DATA_DIR`` on the ``data`` volume (``volume``: its source's lines), the memory the
    CronJob's pods have. ``first``: the spec's own first line (restart policy, grace);
    ``files``: variables pointing into the ConfigMap ``config_map``, mounted read-only."""
    files_env = "".join(
        f"            - name: {_q(k)}\n              value: {_q(v)}\n"
        for k, v in (files or {}).items()
    )
    files_mount = files_volume = ""
    if config_map:
        files_mount = (
            f"            - name: files\n              mountPath: {_q(FILES_DIR)}\n"
            "              readOnly: true\n"
        )
        files_volume = (
            f"        - name: files\n          configMap:\n            name: {_q(config_map)}\n"
        )
    return f"""    spec:
{first}      securityContext:
        runAsNonRoot: true
        runAsUser: {USER_ID}
        runAsGroup: {USER_ID}
        fsGroup: {USER_ID}
      containers:
        - name: ticketbot
          image: {_q(image)}
          command: ["ticketbot"]
          args: [{", ".join(_q(a) for a in args)}]
          workingDir: {_q(DATA_DIR)}
{ports}          envFrom:
            - secretRef:
                name: {_q(secret_name)}
          env:
            - name: "TICKETBOT_STATE_DIR"
              value: {_q(DATA_DIR + "/state")}
            - name: "TICKETBOT_LOG_DIR"
              value: {_q(DATA_DIR + "/logs")}
{files_env}{probes}          resources:
            requests:
              cpu: 100m
              memory: {MEMORY_REQUEST}
            limits:
              memory: {MEMORY_LIMIT}
          securityContext:
            allowPrivilegeEscalation: false
          volumeMounts:
            - name: data
              mountPath: {_q(DATA_DIR)}
{files_mount}      volumes:
        - name: data
{volume}{files_volume}"""
