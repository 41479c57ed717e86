# ticketbot in a container: one batch run per start, state and logs on the /data volume.
#
#   docker build -t ticketbot:0.1.0 .
#   docker run --rm --env-file .env -v ticketbot-data:/data ticketbot:0.1.0
#
# The tag is the one `ticketbot schedule --print kubernetes` names (ticketbot:<version>);
# docs/how-to/schedule.md has the details. Settings come from the environment (--env-file);
# nothing secret is baked into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TICKETBOT_STATE_DIR=/data/state \
    TICKETBOT_LOG_DIR=/data/logs

# The user the CronJob's securityContext names (runAsUser 10001); it owns /data only.
RUN groupadd --gid 10001 ticketbot \
    && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin ticketbot \
    && mkdir -p /data/state /data/logs \
    && chown -R 10001:10001 /data

COPY pyproject.toml setup.cfg README.md /src/
COPY ticket_processor /src/ticket_processor
RUN pip install --no-cache-dir /src && rm -rf /src

# glibc's per-thread malloc cache: ~80 KB a worker thread, ~20 MB at 256 (docs/how-to/schedule.md,
# "Memory"). Only the run needs it, not the build.
ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=0

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]

ENTRYPOINT ["ticketbot"]
CMD ["run", "--max-runtime", "540"]
