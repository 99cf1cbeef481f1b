# Shared set-up steps for scripts/run.sh and scripts/test.sh. Each step is quick
# when there is nothing to do, so both commands can be run again and again.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

python_for_venv() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 ou plus récent est nécessaire." >&2
  return 1
}

# ensure_venv EXTRA: a virtual environment with the pinned dependencies (and EXTRA, e.g. dev).
# A stamp per extra records what was installed; a dev install also serves the plain run.
ensure_venv() {
  local extra=${1:-} wanted stamp
  [ -x "$VENV/bin/python" ] || "$(python_for_venv)" -m venv "$VENV"
  wanted=$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -c1-16)
  for stamp in "$VENV/.installed-$extra" "$VENV/.installed-dev"; do
    [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && return 0
  done
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$ROOT/constraints.txt" \
    -e "$ROOT${extra:+[$extra]}"
  echo "$wanted" > "$VENV/.installed-$extra"
}

# ensure_debian_packages: what the tests need from Debian (scripts/debian-packages.txt).
ensure_debian_packages() {
  local wanted missing=() sudo=""
  command -v dpkg-query >/dev/null || { echo "Pas de Debian ici : paquets système non installés." >&2; return 0; }
  mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$ROOT/scripts/debian-packages.txt")
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installation des paquets Debian : ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_node_modules: axe-core for the browser tests, pinned in package-lock.json.
# npm comes with the machine's Node.js; `npm ci` runs again whenever the lock file changes.
ensure_node_modules() {
  local wanted stamp="$ROOT/node_modules/.installed"
  command -v npm >/dev/null || { echo "npm introuvable : les tests d'accessibilité échoueront (axe-core)." >&2; return 0; }
  wanted=$(sha256sum "$ROOT/package-lock.json" | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wanted" > "$stamp"
  fi
}
