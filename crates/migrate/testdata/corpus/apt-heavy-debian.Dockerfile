FROM debian:bookworm

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      curl \
      libpq5 \
      libsqlite3-0 \
      libssl3 \
      zlib1g \
      fonts-dejavu-core \
      tini \
 && rm -rf /var/lib/apt/lists/*

COPY report-renderer /usr/local/bin/report-renderer
USER root
EXPOSE 443
ENTRYPOINT ["tini", "--", "/usr/local/bin/report-renderer"]
CMD ["--format", "text"]
