FROM ubuntu:24.04 AS build
RUN apt-get update && apt-get install -y build-essential cmake libssl-dev zlib1g-dev
WORKDIR /src
COPY . .
RUN cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j

FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends libssl3t64 zlib1g libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd -r svc && useradd -r -g svc svc
COPY --from=build /src/build/indexer /usr/local/bin/indexer
VOLUME /var/lib/indexer
MAINTAINER ops-team
ENTRYPOINT /usr/local/bin/indexer --data /var/lib/indexer
