# syntax=docker/dockerfile:1
FROM debian:12
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends python3 jq
rm -rf /var/lib/apt/lists/*
EOF

COPY <<"CONF" /etc/app/app.conf
listen = 8080
log = stderr
CONF

COPY run.py /opt/run.py
CMD python3 /opt/run.py
