# napkin: Slack app + CLI for LLM training cost and GPU memory-fit estimates.
#
#   docker build -t napkin:0.1.0 .
#   docker run --rm --env-file .env -p 3000:3000 napkin:0.1.0          # napkin serve
#   docker run --rm napkin:0.1.0 napkin traincost 70B 15T h100         # the CLI
#
# Both stages use the same base image, so the virtual environment's interpreter link
# (/app/.venv/bin/python -> /usr/local/bin/python3) stays valid in the runtime stage.
# The base is pinned to a patch release; to make builds byte-reproducible, also pin its digest
# (FROM python:3.11.17-slim-bookworm@sha256:<digest>, from `docker buildx imagetools inspect`).
ARG PYTHON_VERSION=3.11.17

# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

# Same uv as the Makefile (UV_VERSION); never downloads a Python, only uses the image's.
RUN pip install --no-cache-dir --disable-pip-version-check "uv==0.13.8"

ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

WORKDIR /src

# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project

# Then the project itself, installed as a regular (non-editable) package so the runtime
# stage needs the virtual environment only, not the source tree.
COPY README.md ./
COPY estimator ./estimator
COPY config ./config
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# ---------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="napkin" \
      org.opencontainers.image.description="LLM training cost and GPU memory-fit estimates in Slack and the terminal" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/python:${PYTHON_VERSION}-slim-bookworm"

# A fixed numeric UID/GID (10001) so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
# The official image ships the standard library without .pyc files; compiling them here keeps
# start-up (and every `napkin healthcheck`) fast on a read-only root filesystem. Best effort:
# a module that fails to compile is simply compiled in memory at import, as before.
RUN groupadd --system --gid 10001 napkin \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin napkin \
    && { python -m compileall -q -j 0 /usr/local/lib/python3.11 > /dev/null || true; }

# Owned by root and only readable by the app user: the running process cannot modify its code.
COPY --from=builder /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app
USER 10001:10001
EXPOSE 3000

# Python is PID 1 and installs its own SIGTERM handler (readiness 503, drain, exit 0), and napkin
# starts no child processes, so no init (tini) is needed; `docker run --init` is harmless.
# Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s/deployment.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["napkin", "healthcheck"]

CMD ["napkin", "serve"]
