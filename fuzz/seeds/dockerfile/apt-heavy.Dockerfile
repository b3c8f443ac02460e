FROM ubuntu:22.04

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      curl \
      ca-certificates \
      libpq5 \
      libjpeg-turbo8 \
      imagemagick \
      fonts-dejavu-core \
      tini \
 && rm -rf /var/lib/apt/lists/*

COPY bin/report-renderer /usr/local/bin/report-renderer
USER root
EXPOSE 443
ENTRYPOINT ["tini", "--", "/usr/local/bin/report-renderer"]
