# syntax=docker/dockerfile:1
#
# vmware-mcp container image.
#
#   docker build -t vmware-mcp .
#   docker run --rm -p 127.0.0.1:5005:5005 vmware-mcp --demo
#
# Two stages: a Rust builder that compiles the wasm tool groups and the host
# (which embeds them), and a slim Debian runtime running as a non-root user.
# BuildKit is required (cache mounts, COPY --chmod); it is the default builder
# of current Docker releases.

# ---------------------------------------------------------------------------
# Builder. wasmtime 48 needs rustc >= 1.95.
# To package a binary built elsewhere (CI does), skip this stage with a named
# build context of the same name holding out/vmware-mcp:
#   --build-context builder=DIR   (see docs/container.md)
FROM rust:1.95-slim-bookworm AS builder

RUN rustup target add wasm32-wasip2

WORKDIR /src
# The whole workspace: every member's manifest must be present for cargo to
# resolve it, even though only the host and the plugins are built.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY bench ./bench
COPY plugins ./plugins
COPY host ./host
COPY tests ./tests

# 1. the wasm plugins, 2. the host with those plugins embedded
#    (VMWARE_MCP_PLUGIN_DIR makes host/build.rs skip its nested cargo build).
# The target dir is a cache mount, so the binary is copied out of it.
RUN --mount=type=cache,id=vmware-mcp-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=vmware-mcp-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=vmware-mcp-target,target=/src/target,sharing=locked \
    cargo build --locked --release --target wasm32-wasip2 \
        -p vmware-plugin-vms -p vmware-plugin-hosts -p vmware-plugin-storage -p vmware-plugin-events -p vmware-plugin-perf \
        -p vmware-plugin-networks -p vmware-plugin-clusters \
 && VMWARE_MCP_PLUGIN_DIR=/src/target/wasm32-wasip2/release \
    cargo build --locked --release -p vmware-mcp \
 && install -D -m 0755 target/release/vmware-mcp /out/vmware-mcp

# ---------------------------------------------------------------------------
# Runtime.
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="vmware-mcp" \
      org.opencontainers.image.description="MCP server for VMware vSphere with sandboxed wasm tool groups" \
      org.opencontainers.image.licenses="Apache-2.0"

# ca-certificates: TLS to vCenter. No curl: the HEALTHCHECK below uses bash's
# /dev/tcp (bash is an essential package of Debian, present in -slim).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid/gid (10001), so host files (secrets, volumes) can be
# owned by it. /var/cache/vmware-mcp holds compiled plugins, /var/log/vmware-mcp
# the audit log (mount a volume there), /var/lib/vmware-mcp the durable requests
# (a volume: pending approvals and results survive a new container).
RUN groupadd --system --gid 10001 vmware-mcp \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/cache/vmware-mcp \
        --no-create-home --shell /usr/sbin/nologin vmware-mcp \
 && install -d -o 10001 -g 10001 -m 0750 /var/cache/vmware-mcp /var/log/vmware-mcp /var/lib/vmware-mcp

COPY --from=builder /out/vmware-mcp /usr/local/bin/vmware-mcp
COPY --chmod=0755 entrypoint.sh /usr/local/bin/entrypoint.sh

ENV MCP_BIND=0.0.0.0 \
    MCP_PORT=5005 \
    PLUGIN_CACHE_DIR=/var/cache/vmware-mcp \
    STATE_DIR=/var/lib/vmware-mcp \
    LOG_FORMAT=json

USER 10001:10001
WORKDIR /var/cache/vmware-mcp

# Compile the built-in tool groups once at build time, so the first start
# skips Cranelift. If the runtime machine's CPU differs, the cache key differs
# and the server simply compiles again on start (nothing breaks).
RUN vmware-mcp --demo --log-level error tools > /dev/null \
 || echo "note: plugins not pre-compiled; the first start compiles them"

EXPOSE 5005

# Durable requests live here: mount a volume so pending approvals and results
# outlive the container.
VOLUME ["/var/lib/vmware-mcp"]

# Liveness: GET /healthz on the loopback interface, with bash's /dev/tcp (no
# curl in the image). Needs MCP_BIND to include 127.0.0.1 (0.0.0.0, the
# default here, does); not meaningful with --stdio.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\"${MCP_PORT:-5005}\" && printf 'GET /healthz HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]

ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
