#!/bin/sh
# rwx-guard migrate: the copy Job's script. Copies SRC to DST preserving ownership, permissions, timestamps, symlinks,
# hard links and empty directories, then verifies the copy entry by entry (type, mode, owner, group, size, mtime,
# symlink target, hard-link structure, and the SHA-256 of every regular file). Exit 0 only when DST equals SRC.
# POSIX sh and BusyBox applets only (tar, find, stat, sha256sum, xargs, awk, sort, wc, tr, touch, paste), so it runs in a
# busybox image and under `restricted` Pod Security. Progress: "PROGRESS files=a/b bytes=c/d" lines every
# PROGRESS_SECONDS. The last line is "VERIFIED ..." or "FAILED: ...". MODE=verify checks an existing copy only.
set -eu
SRC=${SRC:-/source}
DST=${DST:-/target}
PROGRESS_SECONDS=${PROGRESS_SECONDS:-5}
MARKER=.rwx-guard-copy-in-progress
WORK=$(mktemp -d)
trap 'kill "$PROGRESS_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PROGRESS_PID=

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { log "FAILED: $*"; exit 1; }

# Entries, NUL-separated, relative to $1, without the filesystem's lost+found (root-owned, never application data)
# and without our marker. Names may contain any byte but NUL, newlines included.
entries() {
  dir=$1
  shift
  (cd "$dir" && find . -mindepth 1 ! -path ./lost+found ! -path './lost+found/*' ! -path "./$MARKER" "$@" -print0) 2>/dev/null
}
count() { entries "$1" ${2+"$2" "$3"} | tr -cd '\000' | wc -c | tr -d ' '; }
bytes() { entries "$1" -type f | (cd "$1" && xargs -0 -r stat -c %s) | awk '{s += $1} END {printf "%d", s}'; }

[ -d "$SRC" ] || fail "source $SRC is not a directory"
[ -d "$DST" ] || fail "target $DST is not a directory"
MODE=${MODE:-copy}
if [ "$MODE" = copy ] && [ "$(count "$DST")" != 0 ]; then
  if [ -e "$DST/$MARKER" ]; then
    log "target holds an interrupted copy of ours: clearing it"
    entries "$DST" -maxdepth 1 | (cd "$DST" && xargs -0 -r rm -rf)
  else
    fail "target $DST is not empty and holds no interrupted copy of ours: refusing to overwrite it"
  fi
fi

TOTAL_FILES=$(count "$SRC" -type f)
TOTAL_BYTES=$(bytes "$SRC")
TOTAL_ENTRIES=$(count "$SRC")
if [ "$MODE" = copy ]; then
log "copying $TOTAL_FILES files, $TOTAL_BYTES bytes ($TOTAL_ENTRIES entries) from $SRC to $DST as uid $(id -u) gid $(id -g)"
: > "$DST/$MARKER"

progress() {
  # The sleep is killed with the loop, so no stray process holds stdout open after the script ends.
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  while :; do
    sleep "$PROGRESS_SECONDS" &
    sleeper=$!
    wait "$sleeper"
    echo "PROGRESS files=$(count "$DST" -type f)/$TOTAL_FILES bytes=$(bytes "$DST")/$TOTAL_BYTES"
  done
}
progress &
PROGRESS_PID=$!

# tar keeps hard links as links, symlinks as symlinks, empty directories, modes, numeric owners (when allowed) and
# mtimes. One tar process reads every top-level entry but lost+found (BusyBox tar has no --exclude), so hard links
# across top-level directories stay links; -x refuses a second archive, which would mean xargs split the list.
entries "$SRC" -maxdepth 1 | (cd "$SRC" && xargs -0 -r -x tar --numeric-owner -cf -) | (cd "$DST" && tar --numeric-owner -xpf -) \
  || fail "tar exited with an error"
# Symlink times (tar does not restore them here), then directory times, which changed while their entries were
# written. By value (-d @seconds): -r would follow a symlink to its target.
for kind in l d; do
  entries "$SRC" -type "$kind" | (cd "$SRC" && xargs -0 -r sh -c 'for p; do touch -c -h -d "@$(stat -c %Y "$p")" "$0/$p"; done' "$DST")
done
touch -c -r "$SRC" "$DST"
kill "$PROGRESS_PID" 2>/dev/null || true
echo "PROGRESS files=$(count "$DST" -type f)/$TOTAL_FILES bytes=$(bytes "$DST")/$TOTAL_BYTES"
log "copied; verifying"
fi

# Entry by entry, from the source: the same entry must exist in the target with the same attributes and content.
# Names travel as arguments (never as lines), so any name is safe. Each xargs batch is compared with one stat and one
# sha256sum per tree (their outputs must be identical: same names, same order); only a batch that differs is looked
# at file by file, to name what differs.
: > "$WORK/errors"
: > "$WORK/links"
entries "$SRC" | (cd "$SRC" && xargs -0 -r sh -c '
  dst=$0; work=$1; shift
  attrs="%F|%a|%u|%g|%h|%Y"
  [ "$(stat -c "$attrs" -- "$@")" = "$(cd "$dst" && stat -c "$attrs" -- "$@" 2>/dev/null)" ] && exit 0
  for p; do
    s=$(stat -c "$attrs" "$p")
    d=$(stat -c "$attrs" "$dst/$p" 2>/dev/null) || { printf "missing: %s\n" "$p" >> "$work/errors"; continue; }
    [ "$s" = "$d" ] || printf "attributes differ (type|mode|uid|gid|links|mtime %s vs %s): %s\n" "$s" "$d" "$p" >> "$work/errors"
  done' "$DST" "$WORK")
entries "$SRC" -type l | (cd "$SRC" && xargs -0 -r sh -c '
  dst=$0; work=$1; shift
  for p; do [ "$(readlink "$p")" = "$(readlink "$dst/$p")" ] || printf "symlink target differs: %s\n" "$p" >> "$work/errors"; done' "$DST" "$WORK")
entries "$SRC" -type f | (cd "$SRC" && xargs -0 -r sh -c '
  dst=$0; work=$1; shift
  # Hard links: source and target inode of every linked file, paired line by line (stat prints no names here).
  stat -c "%h %i" -- "$@" > "$work/s.$$"
  (cd "$dst" && stat -c "%h %i" -- "$@") > "$work/d.$$" 2>/dev/null || true
  paste -d " " "$work/s.$$" "$work/d.$$" | awk "\$1 > 1 { print \$2, \$4 }" >> "$work/links"
  rm -f "$work/s.$$" "$work/d.$$"
  [ "$(sha256sum -- "$@")" = "$(cd "$dst" && sha256sum -- "$@" 2>/dev/null)" ] && exit 0
  for p; do
    [ -f "$dst/$p" ] || continue
    [ "$(stat -c %s "$p")" = "$(stat -c %s "$dst/$p")" ] || printf "size differs: %s\n" "$p" >> "$work/errors"
    [ "$(sha256sum < "$p")" = "$(sha256sum < "$dst/$p")" ] || printf "content differs (sha256): %s\n" "$p" >> "$work/errors"
  done' "$DST" "$WORK")

DST_ENTRIES=$(count "$DST")
[ "$DST_ENTRIES" = "$TOTAL_ENTRIES" ] || echo "entry count differs: source $TOTAL_ENTRIES, target $DST_ENTRIES" >> "$WORK/errors"
DST_FILES=$(count "$DST" -type f)
DST_BYTES=$(bytes "$DST")
[ "$DST_FILES" = "$TOTAL_FILES" ] || echo "file count differs: source $TOTAL_FILES, target $DST_FILES" >> "$WORK/errors"
[ "$DST_BYTES" = "$TOTAL_BYTES" ] || echo "byte count differs: source $TOTAL_BYTES, target $DST_BYTES" >> "$WORK/errors"
# Hard links: each group of linked source files must be one group of linked target files.
sort -u "$WORK/links" | awk '{s[$1]++; d[$2]++; n++} END {
  for (k in s) ns++; for (k in d) nd++;
  if (ns != n || nd != n) { print "hard links differ: " ns " source inodes, " nd " target inodes, " n " pairs"; exit 1 } }' \
  >> "$WORK/errors" || true

if [ -s "$WORK/errors" ]; then
  log "verification found $(wc -l < "$WORK/errors" | tr -d ' ') differences:"
  head -n 50 "$WORK/errors"
  fail "the copy in $DST differs from $SRC; the source was not changed"
fi
rm -f "$DST/$MARKER"
touch -c -r "$SRC" "$DST"
log "VERIFIED files=$DST_FILES bytes=$DST_BYTES entries=$DST_ENTRIES hardlinked=$(sort -u "$WORK/links" | wc -l | tr -d ' ')"
