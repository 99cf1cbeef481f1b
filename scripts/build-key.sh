#!/usr/bin/env bash
# Build this system's passport program (PyInstaller) and lay out a complete key in OUT:
#   bash scripts/build-key.sh OUT
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_venv dev
cd "$ROOT"
exec "$VENV/bin/python" -m passport.build "$@"
