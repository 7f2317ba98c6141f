#!/usr/bin/env bash
# Static checks of the container files (no Docker engine needed):
#   - dockerfilelint (npm) on Dockerfile: any reported issue fails;
#   - `sh -n entrypoint.sh` and `bash -n` on the test scripts;
#   - shellcheck on entrypoint.sh and tests/container/*.sh, if installed
#     (apt-get install -y shellcheck).
#
# dockerfilelint is installed on first use into target/npm with
# `npm install --no-save --prefix target/npm dockerfilelint`. Without npm the
# dockerfilelint step is skipped with a message, unless REQUIRE_DOCKERFILELINT=1.
#
# Usage: tests/container/lint_dockerfile.sh   (from anywhere)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2

failed=0
step() { echo "== $*"; }
bad() {
    echo "FAIL: $*"
    failed=$((failed + 1))
}

step "sh -n entrypoint.sh"
sh -n entrypoint.sh || bad "entrypoint.sh has syntax errors"
[ -x entrypoint.sh ] || bad "entrypoint.sh is not executable (chmod +x entrypoint.sh)"
head -n1 entrypoint.sh | grep -qx '#!/bin/sh' || bad "entrypoint.sh must start with #!/bin/sh (the image runs it with dash)"

step "bash -n tests/container/*.sh"
for f in tests/container/*.sh; do
    bash -n "$f" || bad "$f has syntax errors"
done

step "shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck --shell=sh entrypoint.sh || bad "shellcheck entrypoint.sh"
    shellcheck --shell=bash tests/container/*.sh || bad "shellcheck tests/container/*.sh"
else
    echo "skipped: shellcheck is not installed (apt-get install -y shellcheck)"
fi

step "dockerfilelint Dockerfile"
npm_prefix="$root/target/npm"
lint="$npm_prefix/node_modules/.bin/dockerfilelint"
if [ ! -x "$lint" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "installing dockerfilelint into $npm_prefix"
        mkdir -p "$npm_prefix"
        if ! npm install --no-save --no-audit --no-fund --prefix "$npm_prefix" dockerfilelint; then
            bad "npm install dockerfilelint failed (is the npm registry reachable?)"
        fi
    elif [ "${REQUIRE_DOCKERFILELINT:-0}" = 1 ]; then
        bad "npm is not installed and REQUIRE_DOCKERFILELINT=1"
    else
        echo "skipped: npm is not installed, so dockerfilelint cannot be installed (set REQUIRE_DOCKERFILELINT=1 to make this fatal)"
    fi
fi
if [ -x "$lint" ]; then
    # Exit status 1 when any issue is reported; it prints them.
    "$lint" Dockerfile || bad "dockerfilelint reported issues in Dockerfile"
fi

step "docker-compose.yml and .dockerignore"
[ -f docker-compose.yml ] || bad "docker-compose.yml is missing"
grep -qx 'secrets/' .dockerignore || bad ".dockerignore must exclude secrets/ (never send secrets into the build context)"
grep -qx 'target/' .dockerignore || bad ".dockerignore must exclude target/"

if [ "$failed" -gt 0 ]; then
    echo "$failed check(s) failed"
    exit 1
fi
echo "all container lint checks passed"
