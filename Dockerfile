# syntax=docker/dockerfile:1

# casedesk: one static binary with the subcommands api, worker, dev, migrate
# and seed. docker-compose.yml runs each as its own service.

# The web console, embedded into the binary by the Go package web.
FROM node:20-bookworm AS console
WORKDIR /src
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund
COPY api/openapi.json api/
COPY web/ web/
RUN cd web && npm run build

FROM golang:1.26 AS build
WORKDIR /src
# Static binary: the runtime image has no libc.
ENV CGO_ENABLED=0
# Modules first, so editing the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=console /src/web/dist/app web/dist/app
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags='-s -w' -o /out/casedesk ./cmd/casedesk
# An empty /data owned by the runtime user: a named volume mounted there starts
# with this ownership, so `casedesk seed` can keep its demo tokens file in it.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/casedesk /casedesk
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
# The image is for production: api, worker and dev refuse to start with the
# development secrets (CASEDESK_LINK_SECRET, CASEDESK_INBOUND_SECRET,
# CASEDESK_ADMIN_TOKEN) or without them.
ENV CASEDESK_ENV=production
EXPOSE 8080
ENTRYPOINT ["/casedesk"]
CMD ["api"]
