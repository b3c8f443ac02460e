ARG REGISTRY=docker.io/library
ARG BASE_TAG
ARG DEBIAN_RELEASE=bookworm

FROM ${REGISTRY}/debian:${DEBIAN_RELEASE}-slim AS tools
RUN apt-get update && apt-get install -y gcc make

FROM --platform=$BUILDPLATFORM ${REGISTRY}/debian:${BASE_TAG:-${DEBIAN_RELEASE}}
ARG APP_VERSION=0.0.0
LABEL org.opencontainers.image.version=$APP_VERSION \
      org.opencontainers.image.title="ticker"
COPY --from=tools /usr/bin/make /usr/local/bin/make
COPY ticker /usr/local/bin/ticker
CMD ["/usr/local/bin/ticker", "--interval", "5s"]
