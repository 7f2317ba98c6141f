#!/usr/bin/env bash
# Tests of entrypoint.sh's configuration checks, with a stub `vmware-mcp` on
# PATH (it prints its arguments and exits 0), so no image and no server are
# needed. Each case runs the entrypoint with a clean environment (env -i).
#
# Usage: tests/container/entrypoint_test.sh   (from anywhere)
# Prints one line per case and finally "N passed, N failed"; exits 1 on any failure.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
entrypoint_src="$root/entrypoint.sh"
if [ ! -f "$entrypoint_src" ]; then
    echo "entrypoint.sh not found at $entrypoint_src" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/entrypoint-test.XXXXXX")
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
# World-traversable, so the non-root case can reach the stub and the files.
chmod 0755 "$work"

# The entrypoint under test, copied so a non-root user can read it whatever
# the checkout's permissions.
entrypoint="$work/entrypoint.sh"
cp "$entrypoint_src" "$entrypoint"
chmod 0755 "$entrypoint"

# The stub server: prints a marker and its arguments, one per line.
mkdir "$work/bin"
cat >"$work/bin/vmware-mcp" <<'EOF'
#!/bin/sh
printf 'STUB-EXEC'
for a in "$@"; do printf ' [%s]' "$a"; done
printf '\n'
exit 0
EOF
chmod 0755 "$work/bin/vmware-mcp"

# Secrets with recognisable content, which must never appear in any output.
canary="CANARY-s3cr3t-$$-$RANDOM"
mkdir "$work/secrets"
chmod 0755 "$work/secrets"
for s in vcenter_password mcp_token admin_token; do
    printf '%s-%s\n' "$canary" "$s" >"$work/secrets/$s"
    chmod 0644 "$work/secrets/$s"
done
: >"$work/secrets/empty"
chmod 0644 "$work/secrets/empty"
mkdir "$work/secrets/a_directory"
printf '%s-unreadable\n' "$canary" >"$work/secrets/unreadable"
chmod 0000 "$work/secrets/unreadable"
printf '{"datacenters": []}\n' >"$work/inventory.json"
chmod 0644 "$work/inventory.json"
S="$work/secrets"

passed=0
failed=0
all_output="$work/all-output.txt"
: >"$all_output"

# run [--as-nobody] VAR=value... -- args...: runs the entrypoint with exactly
# these variables (plus PATH); sets $rc, $out (stdout), $err (stderr).
run() {
    local prefix=()
    if [ "${1:-}" = --as-nobody ]; then
        prefix=("${as_nobody[@]}")
        shift
    fi
    local vars=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        vars+=("$1")
        shift
    done
    [ "${1:-}" = -- ] && shift
    "${prefix[@]}" env -i PATH="$work/bin:/usr/local/bin:/usr/bin:/bin" "${vars[@]}" \
        /bin/sh "$entrypoint" "$@" >"$work/stdout" 2>"$work/stderr"
    rc=$?
    out=$(cat "$work/stdout")
    err=$(cat "$work/stderr")
    {
        printf '%s\n' "$out"
        printf '%s\n' "$err"
    } >>"$all_output"
}

# begin NAME ... expect_* ... end: one case; any failed expectation fails it.
case_name=""
case_ok=true
case_why=()
begin() {
    case_name=$1
    case_ok=true
    case_why=()
}
fail_because() {
    case_ok=false
    case_why+=("$1")
}
expect_rc() {
    [ "$rc" -eq "$1" ] || fail_because "exit status $rc, expected $1"
}
expect_exec() { # expected stub line
    [[ $out == *"$1"* ]] || fail_because "stub not executed with: $1"
}
expect_no_exec() {
    [[ $out != *STUB-EXEC* ]] || fail_because "vmware-mcp was executed despite the errors"
}
expect_err() {
    [[ $err == *"$1"* ]] || fail_because "stderr lacks: $1"
}
expect_no_err() {
    [[ $err != *"$1"* ]] || fail_because "stderr unexpectedly contains: $1"
}
end() {
    if $case_ok; then
        passed=$((passed + 1))
        echo "ok   - $case_name"
    else
        failed=$((failed + 1))
        echo "FAIL - $case_name"
        local why
        for why in "${case_why[@]}"; do echo "       $why"; done
        echo "       exit status: $rc"
        echo "       stdout: ${out//$'\n'/$'\n'               }"
        echo "       stderr: ${err//$'\n'/$'\n'               }"
    fi
}

vcenter_ok=(VCENTER_HOST=vc.example.com VCENTER_USER=administrator@vsphere.local "VCENTER_PASSWORD_SECRET_PATH=$S/vcenter_password")

# --- cases -------------------------------------------------------------------

begin "--demo passes and execs vmware-mcp with the arguments"
run -- --demo --log-level debug
expect_rc 0
expect_exec "STUB-EXEC [--demo] [--log-level] [debug]"
end

begin "--inventory FILE (and --inventory=FILE, DEMO_INVENTORY_PATH) need no vCenter"
run -- --inventory "$work/inventory.json"
expect_rc 0
expect_exec "[--inventory] [$work/inventory.json]"
r1=$rc
run -- "--inventory=$work/inventory.json"
expect_rc 0
run "DEMO_INVENTORY_PATH=$work/inventory.json" --
expect_rc 0
[ "$r1" -eq 0 ] || fail_because "--inventory FILE: exit status $r1"
end

begin "--inventory with a missing fixture fails naming it"
run -- --inventory "$work/nope.json"
expect_rc 64
expect_err "--inventory=$work/nope.json: file not found"
expect_no_exec
end

begin "missing VCENTER_HOST fails naming it"
run --
expect_rc 64
expect_err "VCENTER_HOST is not set"
expect_err "--demo"
expect_no_exec
end

begin "a complete vCenter configuration passes (loopback bind, no token needed)"
run "${vcenter_ok[@]}" VCENTER_IGNORE_SSL=false --
expect_rc 0
expect_exec "STUB-EXEC"
expect_no_err "error:"
end

begin "VCENTER_HOST without VCENTER_USER and VCENTER_PASSWORD_SECRET_PATH fails naming both"
run VCENTER_HOST=vc.example.com --
expect_rc 64
expect_err "VCENTER_USER is not set"
expect_err "VCENTER_PASSWORD_SECRET_PATH is not set"
expect_no_exec
end

begin "missing password file fails naming the path"
run VCENTER_HOST=vc.example.com VCENTER_USER=u "VCENTER_PASSWORD_SECRET_PATH=$S/missing" --
expect_rc 64
expect_err "VCENTER_PASSWORD_SECRET_PATH=$S/missing: file not found"
expect_err "secrets:"
expect_no_exec
end

begin "empty password file fails"
run VCENTER_HOST=vc.example.com VCENTER_USER=u "VCENTER_PASSWORD_SECRET_PATH=$S/empty" --
expect_rc 64
expect_err "VCENTER_PASSWORD_SECRET_PATH=$S/empty: file is empty"
expect_no_exec
end

begin "a directory where the secret file should be fails (missing bind-mount source)"
run VCENTER_HOST=vc.example.com VCENTER_USER=u "VCENTER_PASSWORD_SECRET_PATH=$S/a_directory" --
expect_rc 64
expect_err "VCENTER_PASSWORD_SECRET_PATH=$S/a_directory: is a directory"
expect_no_exec
end

begin "any other *_SECRET_PATH that is set must exist, even under --demo"
run "ADMIN_TOKEN_SECRET_PATH=$S/missing_admin" "SOMETHING_ELSE_SECRET_PATH=$S/missing_other" -- --demo
expect_rc 64
expect_err "ADMIN_TOKEN_SECRET_PATH=$S/missing_admin: file not found"
expect_err "SOMETHING_ELSE_SECRET_PATH=$S/missing_other: file not found"
expect_no_exec
end

# Unreadable file: root reads anything, so this case runs as an unprivileged user.
as_nobody=()
skip_reason=""
if [ "$(id -u)" -ne 0 ]; then
    as_nobody=() # already unprivileged
elif command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif command -v runuser >/dev/null 2>&1 && runuser -u nobody -- true 2>/dev/null; then
    as_nobody=(runuser -u nobody --)
else
    skip_reason="running as root and neither setpriv nor runuser can switch to an unprivileged user"
fi
if [ -z "$skip_reason" ]; then
    runner_uid=$(id -u)
    if [ ${#as_nobody[@]} -gt 0 ]; then
        runner_uid=65534
    fi
    begin "unreadable secret file (chmod 000) fails, as uid $runner_uid"
    run --as-nobody VCENTER_HOST=vc.example.com VCENTER_USER=u "VCENTER_PASSWORD_SECRET_PATH=$S/unreadable" --
    expect_rc 64
    expect_err "VCENTER_PASSWORD_SECRET_PATH=$S/unreadable: file is not readable"
    expect_no_exec
    end
else
    echo "skip - unreadable secret file: $skip_reason"
fi

begin "non-loopback MCP_BIND without a token fails"
run MCP_BIND=0.0.0.0 -- --demo
expect_rc 64
expect_err "MCP_BIND=0.0.0.0 is not a loopback address and MCP_AUTH_TOKEN_SECRET_PATH is not set"
expect_err "MCP_ALLOW_UNAUTHENTICATED=true"
expect_no_exec
end

begin "non-loopback --bind argument without a token fails"
run -- --demo --bind 10.1.2.3
expect_rc 64
expect_err "--bind=10.1.2.3 is not a loopback address"
expect_no_exec
end

begin "non-loopback bind with a token file passes without warnings"
run MCP_BIND=0.0.0.0 "MCP_AUTH_TOKEN_SECRET_PATH=$S/mcp_token" "ADMIN_TOKEN_SECRET_PATH=$S/admin_token" -- --demo
expect_rc 0
expect_exec "STUB-EXEC [--demo]"
expect_no_err "WITHOUT AUTHENTICATION"
end

begin "non-loopback bind with MCP_ALLOW_UNAUTHENTICATED=true passes with a loud warning"
run MCP_BIND=0.0.0.0 MCP_ALLOW_UNAUTHENTICATED=true -- --demo
expect_rc 0
expect_exec "STUB-EXEC [--demo]"
expect_err "WARNING: SERVING MCP WITHOUT AUTHENTICATION"
end

begin "loopback binds (127.0.0.1, ::1, localhost) need no token"
for b in 127.0.0.1 ::1 localhost; do
    run "MCP_BIND=$b" -- --demo
    [ "$rc" -eq 0 ] || fail_because "MCP_BIND=$b: exit status $rc"
done
expect_no_err "WITHOUT AUTHENTICATION"
end

begin "several problems are all listed before exiting 64"
run VCENTER_HOST=vc.example.com "VCENTER_PASSWORD_SECRET_PATH=$S/missing" MCP_BIND=0.0.0.0 \
    "ADMIN_TOKEN_SECRET_PATH=$S/empty" VCENTER_IGNORE_SSL=maybe MCP_PORT=http --
expect_rc 64
expect_err "VCENTER_USER is not set"
expect_err "VCENTER_PASSWORD_SECRET_PATH=$S/missing: file not found"
expect_err "ADMIN_TOKEN_SECRET_PATH=$S/empty: file is empty"
expect_err "MCP_BIND=0.0.0.0 is not a loopback address"
expect_err "VCENTER_IGNORE_SSL=maybe: not a boolean"
expect_err "MCP_PORT=http: not a port number"
expect_err "6 configuration problem(s)"
expect_no_exec
end

begin "--help skips the checks"
run -- --help
expect_rc 0
expect_exec "STUB-EXEC [--help]"
end

begin "no secret content appears in any output"
# One more run with every secret set and valid, under a non-loopback bind.
run "${vcenter_ok[@]}" MCP_BIND=0.0.0.0 "MCP_AUTH_TOKEN_SECRET_PATH=$S/mcp_token" "ADMIN_TOKEN_SECRET_PATH=$S/admin_token" --
expect_rc 0
if grep -q "$canary" "$all_output"; then
    fail_because "a secret's content was printed: $(grep -c "$canary" "$all_output") line(s) contain the canary"
fi
[ -s "$all_output" ] || fail_because "no output was collected (the check would be vacuous)"
end

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
