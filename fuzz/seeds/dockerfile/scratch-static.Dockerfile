FROM alpine:3.20 AS certs
RUN apk add --no-cache ca-certificates tzdata

FROM golang:1.23-alpine AS build
WORKDIR /go/src/probe
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -o /probe .

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=certs /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /probe /probe
USER 65534
ENTRYPOINT ["/probe"]
