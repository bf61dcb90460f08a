#!/usr/bin/env bash
# `make install` and `make uninstall`.
#
#   scripts/install.sh install STAGE PREFIX    copy the staged tree into PREFIX
#   scripts/install.sh uninstall PREFIX        remove what the last install put there
#
# Install records every file it wrote, and every folder it had to create, in
# PREFIX/share/styxy/installed-files (paths relative to PREFIX, so a DESTDIR tree reads the same
# once moved into place). Uninstall removes exactly those files and then those folders when they
# are empty, so it never touches a file or a folder that was there before. Installing over an
# earlier install removes what that one wrote and this one does not (a command that is gone takes
# its man page with it).
set -euo pipefail

record_name=share/styxy/installed-files

fail() { echo "$0: $*" >&2; exit 1; }

# The entries of an install record, refusing any that would reach outside the prefix.
read_record() {
  local record=$1 entry
  while IFS= read -r entry; do
    case "$entry" in
      '' | /* | ../* | */../* | */.. | ..) fail "$record: refusing the entry '$entry'" ;;
    esac
    printf '%s\n' "$entry"
  done < "$record"
}

install_tree() {
  local stage=$1 prefix=$2
  [ -f "$stage/bin/styxy" ] || fail "$stage has no bin/styxy; run make stage first"
  mkdir -p "$prefix" || fail "cannot create $prefix"
  local record="$prefix/$record_name" previous=()
  [ -f "$record" ] && mapfile -t previous < <(read_record "$record")

  local files=() folders=() file folder
  mapfile -t files < <(cd "$stage" && find . -type f ! -name .staged | sed 's|^\./||' | LC_ALL=C sort)
  files+=("$record_name")
  # Folders created now, shallowest first; folders an earlier install created stay recorded.
  for entry in "${previous[@]}"; do
    case "$entry" in */) folders+=("$entry") ;; esac
  done
  for file in "${files[@]}"; do
    folder=$(dirname "$file")
    local missing=()
    while [ "$folder" != . ] && [ ! -d "$prefix/$folder" ]; do
      missing=("$folder/" "${missing[@]}")
      folder=$(dirname "$folder")
    done
    for folder in "${missing[@]}"; do
      mkdir "$prefix/$folder"
      folders+=("$folder")
    done
  done

  for file in "${files[@]}"; do
    [ "$file" = "$record_name" ] && continue
    local mode=0644
    [ "$file" = bin/styxy ] && mode=0755
    install -m "$mode" "$stage/$file" "$prefix/$file"
  done
  # What the earlier install wrote and this one did not.
  for entry in "${previous[@]}"; do
    case "$entry" in */) continue ;; esac
    if ! printf '%s\n' "${files[@]}" | grep -qxF -- "$entry"; then rm -f "$prefix/$entry"; fi
  done
  local temporary="$record.tmp.$$"
  { printf '%s\n' "${files[@]}"; printf '%s\n' "${folders[@]}" | LC_ALL=C sort -u | sed '/^$/d'; } > "$temporary"
  mv "$temporary" "$record"
  echo "installed styxy in $prefix (${#files[@]} files; make uninstall PREFIX=... removes them)"
}

uninstall_tree() {
  local prefix=$1
  local record="$prefix/$record_name"
  [ -f "$record" ] || fail "no install of styxy in $prefix ($record_name is missing); nothing removed"
  local entries=() entry removed=0
  mapfile -t entries < <(read_record "$record")
  for entry in "${entries[@]}"; do
    case "$entry" in */) continue ;; esac
    if [ -e "$prefix/$entry" ] || [ -L "$prefix/$entry" ]; then
      rm -f "$prefix/$entry"
      removed=$((removed + 1))
    fi
  done
  # Deepest first, and only when empty: a folder that holds someone else's files stays.
  while IFS= read -r entry; do
    rmdir "$prefix/$entry" 2>/dev/null || true
  done < <(printf '%s\n' "${entries[@]}" | grep '/$' | LC_ALL=C sort -r)
  echo "removed styxy from $prefix ($removed files)"
}

case "${1:-}" in
  install) [ $# -eq 3 ] || fail "usage: $0 install STAGE PREFIX"; install_tree "$2" "$3" ;;
  uninstall) [ $# -eq 2 ] || fail "usage: $0 uninstall PREFIX"; uninstall_tree "$2" ;;
  *) fail "usage: $0 install STAGE PREFIX | uninstall PREFIX" ;;
esac
