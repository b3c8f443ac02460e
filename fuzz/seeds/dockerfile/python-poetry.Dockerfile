# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-bookworm AS builder
ENV POETRY_VIRTUALENVS_IN_PROJECT=true
RUN pip install poetry==1.8.3
WORKDIR /build
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry \
    poetry install --only main --no-root
COPY src/ ./src/
RUN poetry build -f wheel && .venv/bin/pip install dist/*.whl

FROM python:${PYTHON_VERSION}-slim-bookworm
COPY --from=builder /build/.venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
USER root
ENTRYPOINT ["/opt/venv/bin/worker"]
CMD ["--queue", "default"]
