#!/usr/bin/env bash
# Measures the copy Job's script on this machine with BusyBox's tools: large files (MB/s) and many small files
# (files/s), copy and verification together, as in the Job. Not part of `dotnet test` (docs/migrate.md#what-it-costs).
#   bash tests/Webhook.Tests/Migrate/measure-copy.sh [MiB of large files, default 512] [small files, default 10000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script="$here/../../../src/Webhook/Migrate/copy.sh"
applets=$(bash "$here/busybox-path.sh")
mib=${1:-512}
small=${2:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # name source
  mkdir -p "$work/$1.target"
  local start end
  start=$(date +%s.%N)
  PATH="$applets" SRC="$2" DST="$work/$1.target" PROGRESS_SECONDS=30 "$applets/sh" "$script" | tail -n 1 >&2
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}

mkdir -p "$work/large/models"
for i in $(seq 1 $((mib / 64))); do head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/large/models/part-$i.bin"; done
sync
seconds=$(run large "$work/large")
echo "large files: ${mib} MiB in ${seconds} s = $(awk -v m="$mib" -v s="$seconds" 'BEGIN { printf "%.1f", m / s }') MiB/s (copy + verification)"

mkdir -p "$work/small/documents"
for d in $(seq 1 100); do
  mkdir -p "$work/small/documents/$d"
  for f in $(seq 1 $((small / 100))); do head -c 4096 /dev/urandom > "$work/small/documents/$d/$f.json"; done
done
sync
seconds=$(run small "$work/small")
echo "small files: ${small} files of 4 KiB in ${seconds} s = $(awk -v n="$small" -v s="$seconds" 'BEGIN { printf "%d", n / s }') files/s (copy + verification)"
