#!/usr/bin/env bash
# The newest glibc a binary needs, from the versions of the symbols it imports (`objdump -T`).
#
#   scripts/check-glibc.sh MAX BINARY...
#
# Prints, for each binary, the highest GLIBC_x.y it needs. Exit 1 when one needs a glibc newer
# than MAX (and then names the symbols that do), or imports no versioned glibc symbol at all
# (not a dynamically linked glibc binary: nothing to check, so nothing is vouched for); exit 2
# on bad arguments or without objdump (binutils: `make package-tools`).
# Tencent's web and HTTP functions run on CentOS 7: MAX is 2.17 there.
set -euo pipefail

usage="usage: scripts/check-glibc.sh MAX BINARY... (MAX like 2.17)"
[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }
max=$1
shift
[[ $max =~ ^[0-9]+(\.[0-9]+)+$ ]] || { echo "check-glibc.sh: MAX must look like 2.17, not '$max'" >&2; exit 2; }
command -v objdump >/dev/null || {
  echo "check-glibc.sh: objdump not found: make package-tools (Debian: apt-get install binutils)" >&2
  exit 2
}

# newer A B: A is a later version than B.
newer() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1) == "$1" ]]; }

status=0
for bin in "$@"; do
  [[ -f $bin ]] || { echo "check-glibc.sh: $bin: no such file" >&2; exit 2; }
  # Dynamic symbol lines carry their version as GLIBC_x.y or GLIBC_x.y.z, in parentheses for
  # a hidden version (binutils 2.35 and later print them all so); the symbol name is the last field.
  if ! dynsyms=$(objdump -T "$bin" 2>&1); then
    echo "$bin: objdump cannot read its dynamic symbols: $dynsyms" >&2
    status=1
    continue
  fi
  versions=$(grep -o 'GLIBC_[0-9][0-9.]*[0-9]' <<<"$dynsyms" | sed 's/^GLIBC_//' | sort -uV || true)
  if [[ -z $versions ]]; then
    echo "$bin: no versioned glibc symbol (not a dynamically linked glibc binary)" >&2
    status=1
    continue
  fi
  highest=$(tail -n1 <<<"$versions")
  echo "$bin: highest GLIBC_$highest (allowed up to GLIBC_$max)"
  if newer "$highest" "$max"; then
    status=1
    while read -r version; do
      if newer "$version" "$max"; then
        awk -v v="GLIBC_$version" 'index($0, "(" v ")") || index($0, " " v " ") { print "  needs " v ": " $NF }' \
          <<<"$dynsyms" >&2
      fi
    done <<<"$versions"
    echo "$bin: needs a glibc newer than $max" >&2
  fi
done
exit "$status"
