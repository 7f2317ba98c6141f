#!/bin/sh
# Container entrypoint for vmware-mcp: check the configuration, then
# `exec vmware-mcp "$@"` (so the server is PID 1 and receives SIGTERM).
#
# Every problem found is reported on stderr with what to do about it, and all
# of them are listed before exiting with 64 (EX_USAGE), so one restart fixes
# everything. Secret files are checked for existence, readability and
# emptiness only: their content is never printed.
#
# Checks:
#   - VCENTER_HOST is required unless --demo / --inventory / DEMO_INVENTORY_PATH
#     selects the simulated inventory; with it, VCENTER_USER and
#     VCENTER_PASSWORD_SECRET_PATH (an existing, readable, non-empty file).
#   - every *_SECRET_PATH variable that is set names an existing, readable,
#     non-empty regular file (a missing bind-mount source shows up as a directory).
#   - a non-loopback MCP_BIND (or --bind) needs MCP_AUTH_TOKEN_SECRET_PATH,
#     unless MCP_ALLOW_UNAUTHENTICATED=true (then a loud warning).
#   - VCENTER_CA_FILE, APPROVAL_POLICY_PATH, DEMO_INVENTORY_PATH, PLUGINS_DIR,
#     AUDIT_LOG_PATH, MCP_PORT and VCENTER_IGNORE_SSL, when set, are usable.
#
# `--help`, `-h`, `--version`, `-V` and `help` skip the checks.
set -eu

prog="vmware-mcp entrypoint"
problems=0

problem() {
    problems=$((problems + 1))
    printf '%s: error: %s\n' "$prog" "$1" >&2
}

warn() {
    printf '%s: warning: %s\n' "$prog" "$1" >&2
}

# check_file VAR PATH [HINT]: PATH must be an existing, readable, non-empty
# regular file. Only metadata is inspected; grep -q prints nothing.
check_file() {
    cf_var=$1
    cf_path=$2
    cf_hint=${3:-mount the file into the container or fix the path}
    if [ ! -e "$cf_path" ]; then
        problem "$cf_var=$cf_path: file not found — $cf_hint"
    elif [ -d "$cf_path" ]; then
        problem "$cf_var=$cf_path: is a directory, not a file (Docker creates a directory when a bind-mount source is missing) — $cf_hint"
    elif [ ! -f "$cf_path" ]; then
        problem "$cf_var=$cf_path: not a regular file — $cf_hint"
    elif [ ! -r "$cf_path" ]; then
        problem "$cf_var=$cf_path: file is not readable by uid $(id -u) — docker compose file secrets keep the host file's owner and mode, so on the host run e.g. \`sudo chown $(id -u) FILE && sudo chmod 0400 FILE\`"
    elif ! grep -q '[^[:space:]]' "$cf_path" 2>/dev/null; then
        problem "$cf_var=$cf_path: file is empty — write the value into the file (one trailing newline is ignored)"
    fi
}

# check_secret VAR PATH: as check_file, with advice for secrets.
check_secret() {
    check_file "$1" "$2" "mount the secret (docker compose \`secrets:\`, or -v /host/file:$2:ro) or fix the path"
}

is_loopback() {
    case $1 in
        localhost | LOCALHOST | Localhost | ::1 | '[::1]' | 127.*) return 0 ;;
        *) return 1 ;;
    esac
}

# --- what the arguments ask for -------------------------------------------
demo=false
stdio=false
bind=${MCP_BIND:-127.0.0.1}
bind_source=MCP_BIND
token_path=${MCP_AUTH_TOKEN_SECRET_PATH:-}
token_source=MCP_AUTH_TOKEN_SECRET_PATH
allow_unauth=${MCP_ALLOW_UNAUTHENTICATED:-}
inventory=${DEMO_INVENTORY_PATH:-}
inventory_source=DEMO_INVENTORY_PATH
if [ -n "$inventory" ]; then
    demo=true
fi

expect=""
for arg in "$@"; do
    if [ -n "$expect" ]; then
        case $expect in
            bind) bind=$arg bind_source=--bind ;;
            token) token_path=$arg token_source=--auth-token-file ;;
            inventory) inventory=$arg inventory_source=--inventory ;;
        esac
        expect=""
        continue
    fi
    case $arg in
        -h | --help | -V | --version) exec vmware-mcp "$@" ;;
        --demo) demo=true ;;
        --stdio) stdio=true ;;
        --inventory) demo=true expect=inventory ;;
        --inventory=*) demo=true inventory=${arg#--inventory=} inventory_source=--inventory ;;
        --bind) expect=bind ;;
        --bind=*) bind=${arg#--bind=} bind_source=--bind ;;
        --auth-token-file) expect=token ;;
        --auth-token-file=*) token_path=${arg#--auth-token-file=} token_source=--auth-token-file ;;
        --allow-unauthenticated) allow_unauth=true ;;
        --allow-unauthenticated=*) allow_unauth=${arg#--allow-unauthenticated=} ;;
    esac
done
if [ "${1:-}" = help ]; then
    exec vmware-mcp "$@"
fi

# --- vCenter ----------------------------------------------------------------
if [ "$demo" = true ]; then
    if [ -n "${VCENTER_HOST:-}" ]; then
        warn "VCENTER_HOST is set but the simulated inventory was requested (--demo/--inventory); the vCenter settings are ignored"
    fi
    if [ -n "$inventory" ]; then
        check_file "$inventory_source" "$inventory" "mount the inventory fixture (JSON) into the container or fix the path"
    fi
else
    if [ -z "${VCENTER_HOST:-}" ]; then
        problem "VCENTER_HOST is not set — set it to the vCenter or ESXi host name (e.g. -e VCENTER_HOST=vcenter.example.com), or pass --demo to serve the built-in simulated inventory"
    else
        if [ -z "${VCENTER_USER:-}" ]; then
            problem "VCENTER_USER is not set — set it to the vSphere user (e.g. administrator@vsphere.local); VCENTER_HOST=$VCENTER_HOST needs it"
        fi
        if [ -z "${VCENTER_PASSWORD_SECRET_PATH:-}" ]; then
            problem "VCENTER_PASSWORD_SECRET_PATH is not set — point it at a file holding the vCenter password (docker compose \`secrets:\` mounts it at /run/secrets/<name>); passwords are never taken from plain environment variables"
        fi
        # The file itself is checked with the other *_SECRET_PATH variables below.
    fi
fi

case $(printf '%s' "${VCENTER_IGNORE_SSL:-}" | tr '[:upper:]' '[:lower:]') in
    "" | 0 | false | no | off) ;;
    1 | true | yes | on)
        if [ "$demo" != true ]; then
            warn "VCENTER_IGNORE_SSL is on: the vCenter certificate is NOT verified; prefer VCENTER_CA_FILE with the vCenter CA"
        fi
        ;;
    *) problem "VCENTER_IGNORE_SSL=${VCENTER_IGNORE_SSL}: not a boolean — use true or false" ;;
esac
if [ -n "${VCENTER_CA_FILE:-}" ]; then
    check_file VCENTER_CA_FILE "$VCENTER_CA_FILE" "mount the PEM CA bundle into the container (e.g. -v ./ca.pem:$VCENTER_CA_FILE:ro) or fix the path"
fi

# --- every *_SECRET_PATH that is set ------------------------------------------
# Names only are taken from `env`; the regex keeps the eval safe.
secret_vars=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*_SECRET_PATH\)=.*/\1/p' | sort -u)
for var in $secret_vars; do
    eval "value=\${$var:-}"
    if [ -n "$value" ]; then
        check_secret "$var" "$value"
    fi
done
if [ "$token_source" = --auth-token-file ] && [ -n "$token_path" ]; then
    check_secret --auth-token-file "$token_path"
fi

# --- network exposure -----------------------------------------------------------
case $allow_unauth in
    true | false | "") ;;
    *)
        problem "MCP_ALLOW_UNAUTHENTICATED=$allow_unauth: not a boolean — use true or false"
        allow_unauth=false
        ;;
esac
if [ "$stdio" != true ] && ! is_loopback "$bind"; then
    if [ -z "$token_path" ]; then
        if [ "$allow_unauth" = true ]; then
            {
                echo "################################################################################"
                echo "# $prog: WARNING: SERVING MCP WITHOUT AUTHENTICATION"
                echo "# $bind_source=$bind is not a loopback address and no MCP_AUTH_TOKEN_SECRET_PATH is set;"
                echo "# MCP_ALLOW_UNAUTHENTICATED=true, so ANYONE who can reach this port can call the"
                echo "# tools and operate vSphere within the approval policy."
                echo "# Set MCP_AUTH_TOKEN_SECRET_PATH to a token file to require a bearer token."
                echo "################################################################################"
            } >&2
        else
            problem "$bind_source=$bind is not a loopback address and MCP_AUTH_TOKEN_SECRET_PATH is not set — mount a token file (docker compose \`secrets:\`) and set MCP_AUTH_TOKEN_SECRET_PATH=/run/secrets/<name>, or set MCP_ALLOW_UNAUTHENTICATED=true to accept serving without authentication"
        fi
    fi
fi

if [ -n "${MCP_PORT:-}" ]; then
    case $MCP_PORT in
        *[!0-9]*) problem "MCP_PORT=$MCP_PORT: not a port number — use 0-65535 (default 5005; 0 picks a free port)" ;;
        *)
            if [ "${#MCP_PORT}" -gt 5 ] || [ "$MCP_PORT" -gt 65535 ]; then
                problem "MCP_PORT=$MCP_PORT: out of range — use 0-65535 (default 5005)"
            fi
            ;;
    esac
fi

# --- other files and directories -------------------------------------------------
if [ -n "${APPROVAL_POLICY_PATH:-}" ]; then
    check_file APPROVAL_POLICY_PATH "$APPROVAL_POLICY_PATH" "mount the approval policy TOML into the container (e.g. -v ./policy.toml:$APPROVAL_POLICY_PATH:ro) or unset it (then every state change asks)"
fi
if [ -n "${PLUGINS_DIR:-}" ] && [ ! -d "$PLUGINS_DIR" ]; then
    problem "PLUGINS_DIR=$PLUGINS_DIR: directory not found — mount the directory of *.wasm tool groups or unset PLUGINS_DIR"
fi
if [ -n "${AUDIT_LOG_PATH:-}" ]; then
    audit_dir=$(dirname -- "$AUDIT_LOG_PATH")
    if [ -d "$AUDIT_LOG_PATH" ]; then
        problem "AUDIT_LOG_PATH=$AUDIT_LOG_PATH: is a directory — name a file inside it (e.g. $AUDIT_LOG_PATH/audit.jsonl)"
    elif [ ! -d "$audit_dir" ]; then
        problem "AUDIT_LOG_PATH=$AUDIT_LOG_PATH: directory $audit_dir does not exist — mount a volume there (e.g. -v vmware-mcp-audit:$audit_dir)"
    elif [ -e "$AUDIT_LOG_PATH" ] && [ ! -w "$AUDIT_LOG_PATH" ]; then
        problem "AUDIT_LOG_PATH=$AUDIT_LOG_PATH: file is not writable by uid $(id -u) — chown it to the container user"
    elif [ ! -e "$AUDIT_LOG_PATH" ] && [ ! -w "$audit_dir" ]; then
        problem "AUDIT_LOG_PATH=$AUDIT_LOG_PATH: directory $audit_dir is not writable by uid $(id -u) — chown the volume to the container user (uid 10001)"
    fi
fi

if [ "$problems" -gt 0 ]; then
    printf '%s: %d configuration problem(s) above; not starting vmware-mcp.\n' "$prog" "$problems" >&2
    exit 64
fi

exec vmware-mcp "$@"
