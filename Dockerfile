# syntax=docker/dockerfile:1
# erp-server in two stages: build with the Rust toolchain, run on a small Debian image as a
# non-root user. Written for `docker build .`; the development machine has no Docker engine, so
# this file is untested here (see README).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and build between image builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p erp-server \
 && cp target/release/erp-server /usr/local/bin/erp-server

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/erp erp
COPY --from=build /usr/local/bin/erp-server /usr/local/bin/erp-server
USER erp
WORKDIR /var/lib/erp
ENV ERP_BIND=0.0.0.0:8080 \
    ERP_LOG_FORMAT=json \
    DATABASE_URL=sqlite:///var/lib/erp/erp.db
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["erp-server"]
CMD ["serve"]
