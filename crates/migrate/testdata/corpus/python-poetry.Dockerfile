# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-bookworm AS builder
ENV POETRY_VIRTUALENVS_IN_PROJECT=true
RUN pip install poetry==2.1.3
WORKDIR /opt/worker
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry \
    poetry install --no-root --no-interaction
COPY src/ ./src/
RUN poetry build -f wheel && .venv/bin/pip install dist/*.whl

FROM python:${PYTHON_VERSION}-slim-bookworm
COPY --from=builder /opt/worker/.venv /opt/worker/.venv
ENV PATH="/opt/worker/.venv/bin:$PATH"
USER root
ENTRYPOINT ["/opt/worker/.venv/bin/worker"]
CMD ["--queue", "default"]
