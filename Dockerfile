# The sync worker: `faust -A streams.app worker`. Built by docker-compose.yml's `worker` and
# `schema-init` services; the same code, settings and files as `make run` uses.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PYTHONPATH=/app \
    SYNC_DATA_DIR=/data SYNC_WEB_PORT=6066
WORKDIR /app
RUN useradd --system --home /app --uid 10001 sync && mkdir /data && chown sync /data

# dependencies only (a code change does not reinstall them); the code runs from /app, where it
# finds config/ and avro/ beside it as in a checkout (streams/core/codes.py, source_config.py)
COPY pyproject.toml README.md ./
RUN mkdir streams && touch streams/__init__.py && pip install . \
    && pip uninstall -y siebel-ccb-sync && rm -rf streams build
COPY streams ./streams
COPY config ./config
COPY avro ./avro

USER sync
VOLUME /data
EXPOSE 6066
HEALTHCHECK --interval=10s --timeout=5s --retries=12 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/health', timeout=4)"]
ENTRYPOINT ["faust", "-A", "streams.app"]
CMD ["worker", "-l", "info"]
