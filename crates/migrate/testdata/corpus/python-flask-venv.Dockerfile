FROM python:3.13-slim AS build
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir flask==3.1.0 gunicorn==23.0.0
COPY app.py /srv/app.py

FROM python:3.13-slim
COPY --from=build /venv /venv
COPY --from=build /srv /srv
WORKDIR /srv
EXPOSE 8020
CMD ["/venv/bin/gunicorn", "--bind", "0.0.0.0:8020", "--workers", "1", "app:app"]
