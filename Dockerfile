# syntax=docker/dockerfile:1
# natobot: the locked dependencies in one stage, the sources on top of them, run as a numeric non-root user.
#
#   docker build -t natobot .
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN=xoxb-... -e SLACK_SIGNING_SECRET=... \
#       -e DATABASE_URL=postgresql://natobot:secret@db:5432/natobot natobot
#   docker run --rm -e DATABASE_URL=... natobot digest list        # any other natobot command
#
# Without DATABASE_URL the state is a SQLite file in /data (mount a volume there to keep it).
# For a byte-for-byte rebuild, pin the base image too: --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:...

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A virtual environment is one directory to copy into the runtime stage, with nothing of pip's cache.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The exact dependency set, every file checked against its hash (requirements.lock, made by `make lock`):
# the same commit builds the same environment, today or in a year. This layer changes only with the lock.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.lock

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NATOBOT_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
# A numeric user and group, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 natobot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/natobot --create-home \
       --shell /usr/sbin/nologin natobot \
    && mkdir -p /data \
    && chown 10001:10001 /data
COPY --from=deps /opt/venv /opt/venv
# natobot runs from its sources (pure Python; nothing to build): the packages and the knowledge base.
COPY bot /app/bot
COPY handlers /app/handlers
COPY knowledge /app/knowledge
WORKDIR /home/natobot
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers in both HTTP and Socket Mode, on $PORT whatever it is set to; urllib keeps curl out.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('PORT') or '3000'; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["serve"]
