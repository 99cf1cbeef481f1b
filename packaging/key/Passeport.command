#!/bin/sh
# Starts the passport on this key (macOS): the program is App/macos/passeport.
# Double-click it in the Finder: Terminal opens and stays open while the passport runs.
key=$(cd "$(dirname "$0")" && pwd) || exit 1
program="$key/App/macos/passeport"
if [ -x "$program" ]; then
  exec "$program" "$@"
fi
# Some PCs mount USB keys without the right to run programs from them (noexec,
# showexec): run a copy from the temporary folder, removed when the passport stops.
copy=$(mktemp -d "${TMPDIR:-/tmp}/passeport-XXXXXX") || exit 1
trap 'rm -rf "$copy"' EXIT
trap 'exit 130' HUP INT TERM
cp "$program" "$copy/passeport" && chmod 700 "$copy/passeport" && "$copy/passeport" --key "$key" "$@"
