FROM python:3.13-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /usr/local/bin/uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# uv leaves its lock file world-writable (buckle check: BKL-WORLD-WRITABLE).
RUN uv sync --frozen --no-dev && chmod o-w .venv/.lock

FROM python:3.13-slim
WORKDIR /app
COPY --from=build --chown=1000:1000 /app /app
RUN useradd --uid 1000 app && mkdir -p /app/data && chown app /app/data
USER app
CMD /app/.venv/bin/python -m api --bind 0.0.0.0:8010
