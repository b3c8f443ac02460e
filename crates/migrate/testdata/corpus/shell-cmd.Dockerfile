FROM debian:bookworm
RUN apt-get update && apt-get install -y netcat-openbsd && rm -rf /var/lib/apt/lists/*
COPY healthcheck.sh /usr/local/bin/
HEALTHCHECK --interval=30s CMD /usr/local/bin/healthcheck.sh
ENV GREETING=hello
CMD echo "$GREETING from $(hostname)" && exec nc -lk -p 8080
