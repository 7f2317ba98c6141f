#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; .ci/run runs it too).
#
# 1. installs whatever this machine lacks, each step skipped when it is
#    already satisfied (so a prepared machine goes straight to the build):
#    - the wasm32-wasip2 target for the toolchain rust-toolchain.toml names;
#    - Debian packages: Go and govmomi (the vcsim harness), Chromium (the
#      approvals page test), npm if missing, podman, mmdebstrap, runc and
#      uidmap (the container test);
#    - Python packages: mcp>=2, prometheus-client, pyvmomi (real Python clients);
#    - into target/npm: playwright-core (drives Debian's Chromium; never
#      `playwright install`), the TypeScript MCP SDK and the Inspector CLI
#      (real clients of the durable-request tests), and oidc-provider (the
#      certified OpenID provider the OAuth tests start);
# 2. builds the workspace (the server included) and the vcsim harness;
# 3. runs every test.
#
# Debian packages need root (or sudo). Usage: tools/test.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "== $*"; }
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

step "Rust toolchain (rust-toolchain.toml)"
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^${toolchain}-"; then
    # Reads rust-toolchain.toml: the channel with its targets and components.
    rustup toolchain install
fi
if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-wasip2; then
    rustup target add --toolchain "$toolchain" wasm32-wasip2
fi

step "Debian packages"
missing=()
# The vcsim harness (tests/vcsim/build.sh) builds against Debian's govmomi sources.
command -v go >/dev/null || missing+=(golang-go)
[ -d /usr/share/gocode/src/github.com/vmware/govmomi ] || missing+=(golang-github-vmware-govmomi-dev)
# The approvals page is tested in Debian's headless Chromium.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Node.js and npm usually come with the machine; Debian's npm only if missing.
command -v npm >/dev/null || missing+=(npm)
# The container test builds and runs the image with podman on an mmdebstrap base.
command -v podman >/dev/null || missing+=(podman)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v runc >/dev/null || missing+=(runc)
command -v newuidmap >/dev/null || missing+=(uidmap)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "Python packages"
if ! python3 - <<'EOF' 2>/dev/null; then
import importlib.metadata as meta
import prometheus_client, pyVmomi  # noqa: F401
assert int(meta.version("mcp").split(".")[0]) >= 2
EOF
    python3 -m pip install --quiet --disable-pip-version-check 'mcp>=2' prometheus-client pyvmomi
fi

step "npm packages (target/npm)"
# playwright-core drives Debian's Chromium; the TypeScript SDK and the
# Inspector CLI are the real MCP clients of the durable-request tests.
npm_packages=(playwright-core @modelcontextprotocol/sdk@1.32.2 @modelcontextprotocol/inspector@2.12.0 oidc-provider@9.13.3)
if [ ! -f target/npm/node_modules/playwright-core/package.json ] \
    || [ ! -f target/npm/node_modules/oidc-provider/package.json ] \
    || [ ! -f target/npm/node_modules/@modelcontextprotocol/sdk/package.json ] \
    || [ ! -x target/npm/node_modules/.bin/mcp-inspector ]; then
    npm install --no-fund --no-audit --prefix target/npm "${npm_packages[@]}" >/dev/null
fi

step "build"
# Every crate natively (the server the e2e tests start is target/debug/vmware-mcp,
# with the author's `plugin test` harness; the plugin crates build too, with
# nothing exported), then the vcsim harness.
cargo build --workspace --features vmware-mcp/harness
tests/vcsim/build.sh

step "test"
cargo test --workspace --no-fail-fast
