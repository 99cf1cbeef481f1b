#!/usr/bin/env bash
# Run the passport (on the demo key unless --key is given). Sets itself up the first time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_venv
cd "$ROOT"
exec "$VENV/bin/python" -m passport "$@"
