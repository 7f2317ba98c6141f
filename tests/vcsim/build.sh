#!/bin/sh
# Build the vcsim harness (tests/vcsim/main.go) into target/vcsim/vcsim-harness,
# skipping the build when the binary is newer than its source.
#
# Needs Debian's Go toolchain and govmomi sources:
#   apt-get install golang-go golang-github-vmware-govmomi-dev
# Prints the binary's path on success.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out_dir="${CARGO_TARGET_DIR:-$root/target}/vcsim"
out="$out_dir/vcsim-harness"
gopath="${VCSIM_GOPATH:-/usr/share/gocode}"

# Up to date when newer than every Go source and this script.
if [ -x "$out" ] && [ "$out" -nt "$here/build.sh" ] \
    && [ -z "$(find "$here" -name '*.go' -newer "$out" -print -quit)" ]; then
    echo "$out"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "vcsim harness: 'go' not found; install it with: apt-get install golang-go golang-github-vmware-govmomi-dev" >&2
    exit 2
fi
if [ ! -d "$gopath/src/github.com/vmware/govmomi/simulator" ]; then
    echo "vcsim harness: govmomi sources not found under $gopath; install them with: apt-get install golang-go golang-github-vmware-govmomi-dev" >&2
    exit 2
fi

mkdir -p "$out_dir"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(cd "$here" && GO111MODULE=off GOPATH="$gopath" GOFLAGS= go build -o "$tmp" .)
mv -f "$tmp" "$out"
echo "$out"
