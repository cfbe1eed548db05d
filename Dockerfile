# syntax=docker/dockerfile:1
# natobot: build the wheel and its dependencies in one stage, run them as a non-root user in another.
#
#   docker build -t natobot .
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN=xoxb-... -e SLACK_SIGNING_SECRET=... \
#       -e DATABASE_URL=postgresql://natobot:secret@db:5432/natobot natobot
#
# Without DATABASE_URL the state is a SQLite file in /data (mount a volume there to keep it).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A virtual environment is one directory to copy into the runtime stage, with nothing of pip's cache.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Metadata first: the dependency layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers knowledge \
    && touch bot/__init__.py handlers/__init__.py knowledge/__init__.py \
    && pip install . \
    && pip uninstall -y natobot \
    && rm -rf build ./*.egg-info bot handlers knowledge
# (The stubs and setuptools' build/ go: stale copies there could shadow the real sources below.)
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
# tzdata: IANA zones for digest schedules even where the base image lacks /usr/share/zoneinfo.
RUN pip install --no-deps . && pip install tzdata

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NATOBOT_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
RUN groupadd --system --gid 10001 natobot \
    && useradd --system --uid 10001 --gid natobot --home-dir /home/natobot --create-home \
       --shell /usr/sbin/nologin natobot \
    && mkdir -p /data \
    && chown natobot:natobot /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /home/natobot
USER natobot:natobot
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers in both HTTP and Socket Mode; urllib keeps curl out of the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["natobot"]
CMD ["serve"]
