#!/usr/bin/env bash
# make package-tencent: one zip per function for a Tencent Cloud web function (SCF) or a CloudBase
# HTTP cloud function.
#
#   scripts/package-tencent.sh            # PROFILE=release (the default): what you deploy
#   PROFILE=dev scripts/package-tencent.sh  # a debug build: quicker, for the tests
#
# Writes $DIST_DIR (default dist/tencent, git-ignored), for each of create-ticket, get-user-info
# and get-client-ip:
#   FUNCTION/            the binary and scf_bootstrap, unpacked (serverless.yml and
#                        cloudbaserc.json deploy these folders)
#   FUNCTION.zip         the same two files, each stored with mode 0755
# The binaries are x86_64 Linux, linked with cargo-zigbuild against glibc 2.17 (the platform runs
# them on CentOS 7), then checked with scripts/check-glibc.sh. They are built without the AWS SDK
# (--no-default-features): on Tencent Cloud the key comes from the environment.
# scf_bootstrap is what the platform runs: it starts the binary from /var/user (where the package
# is unpacked) on 0.0.0.0:9000 and sends its log (stderr) to stdout.
#
# Needs the project venv (cargo-zigbuild and zig come from requirements-dev.txt: `make venv`),
# rustup's x86_64-unknown-linux-gnu standard library (added when missing) and objdump
# (`make package-tools`). Exit 2 when one is missing or PROFILE is wrong, 1 when the build or a
# check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PROFILE=${PROFILE:-release}
DIST_DIR=${DIST_DIR:-$ROOT/dist/tencent}
VENV=${VENV:-$ROOT/.venv}
TARGET=x86_64-unknown-linux-gnu
GLIBC=2.17
FUNCTIONS=(create-ticket get-user-info get-client-ip)
CODE_ROOT=/var/user # where the platform unpacks the package (its USER_CODE_ROOT)
PORT=9000           # the port the platform sends requests to

fail() { echo "package-tencent.sh: $*" >&2; exit 2; }

case $PROFILE in
  release) profile_flag=(--release) out=release ;;
  dev) profile_flag=() out=debug ;;
  *) fail "PROFILE must be release or dev, not '$PROFILE'" ;;
esac

[[ -x $VENV/bin/cargo-zigbuild ]] || fail "$VENV/bin/cargo-zigbuild not found: run make venv (requirements-dev.txt)"
# cargo-zigbuild runs zig as `python3 -m ziglang` when no zig is on the PATH: the venv's.
export PATH=$VENV/bin:$PATH
command -v objdump >/dev/null || fail "objdump not found: make package-tools (Debian: apt-get install binutils)"

if command -v rustup >/dev/null; then
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    echo "package-tencent.sh: adding the $TARGET standard library (rustup target add)"
    rustup target add "$TARGET"
  fi
fi

echo "package-tencent.sh: building ${FUNCTIONS[*]} ($PROFILE) for $TARGET, glibc $GLIBC"
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
cargo-zigbuild zigbuild --locked "${profile_flag[@]}" --target "$TARGET.$GLIBC" \
  --no-default-features "${packages[@]}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
built=$target_dir/$TARGET/$out
binaries=()
for f in "${FUNCTIONS[@]}"; do binaries+=("$built/$f"); done
scripts/check-glibc.sh "$GLIBC" "${binaries[@]}" || {
  echo "package-tencent.sh: a binary needs a glibc newer than $GLIBC: it would not start on the platform" >&2
  exit 1
}

mkdir -p "$DIST_DIR"
for f in "${FUNCTIONS[@]}"; do
  dir=$DIST_DIR/$f
  rm -rf "$dir" "$dir.zip"
  mkdir -p "$dir"
  install -m 0755 "$built/$f" "$dir/$f"
  # LF line endings only, #!/bin/bash first, absolute paths: what the platform requires.
  # exec: the binary replaces bash, so the platform's SIGTERM reaches it (graceful shutdown).
  cat >"$dir/scf_bootstrap" <<EOF
#!/bin/bash
# $f as a Tencent Cloud web function or CloudBase HTTP function (scripts/package-tencent.sh).
# The platform unpacks the package into $CODE_ROOT, runs this file and sends requests to port
# $PORT. The function logs to stderr; 2>&1 puts its log on stdout, which the platform collects.
export HOST=0.0.0.0
export PORT=$PORT
exec $CODE_ROOT/$f 2>&1
EOF
  chmod 0755 "$dir/scf_bootstrap"
  # Python's zipfile, so that each entry's Unix mode (0755) is stored explicitly, with a fixed
  # timestamp: the same build gives the same zip.
  python3 - "$dir" "$dir.zip" "$f" scf_bootstrap <<'EOF'
import sys
import zipfile
from pathlib import Path

src, dest, names = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    for name in names:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.create_system = 3  # Unix: unzip and the platform read the mode from external_attr
        info.external_attr = (0o100755 << 16)  # a regular file, rwxr-xr-x
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, (src / name).read_bytes())
EOF
  echo "package-tencent.sh: $dir.zip ($(du -k "$dir.zip" | cut -f1) KiB)"
done
