#!/usr/bin/env bash
# Prints a directory whose commands are BusyBox applets, so tests run the copy Job's script with the same tools as
# its image (docker.io/library/busybox). Installs Debian's busybox package when it is missing (CI runs as root).
set -euo pipefail
if ! command -v busybox >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then echo "busybox is not installed and this user cannot install it (apt-get install busybox)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq busybox >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq busybox >/dev/null; }
fi
dir=${TMPDIR:-/tmp}/rwx-guard-busybox-applets
mkdir -p "$dir"
bin=$(command -v busybox)
for applet in $("$bin" --list); do ln -sf "$bin" "$dir/$applet"; done
echo "$dir"
