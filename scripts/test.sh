#!/usr/bin/env bash
# Install what the tests need (Debian packages, Python packages), then run the whole suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_debian_packages
ensure_venv dev
ensure_node_modules
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
