#!/usr/bin/env bash
# The scale benchmark: vmware-mcp (release build) over MCP against vcsim at
# 2,000, 20,000 and 50,000 VMs (or the sizes given), beside a direct paged
# RetrievePropertiesEx of the same columns (Rust, and pyVmomi for the Python
# SDK's figures). Prints a table and ratios.
#
#   tools/bench-scale.sh            # 2,000, 20,000 and 50,000 VMs (vcsim needs ~650 MB at 20,000)
#   tools/bench-scale.sh 500 5000   # other sizes
set -euo pipefail
cd "$(dirname "$0")/.."
tests/vcsim/build.sh >/dev/null
# One build of both packages, so their dependencies share one feature set.
cargo build --release -p vmware-mcp -p vmware-mcp-bench
VMWARE_MCP_BIN="$PWD/target/release/vmware-mcp" exec target/release/scale "$@"
