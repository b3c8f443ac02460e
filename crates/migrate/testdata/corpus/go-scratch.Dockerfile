FROM golang:1.24-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -o /probe .

FROM scratch
COPY --from=build /probe /probe
USER 65534
ENTRYPOINT ["/probe"]
CMD ["--check", "config"]
