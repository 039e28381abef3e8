#!/usr/bin/env bash
# Runs a command in a fresh clone, as on a fresh machine: an empty CARGO_HOME (only rustup's
# proxies, so the installed toolchains still work), no ~/.cargo/bin and no pyenv on the PATH,
# Debian's /usr/bin/python3 first. Prints the wall time.
#
#   scripts/fresh-clone.sh [COMMAND...]        default: bash .ci/run
#   scripts/fresh-clone.sh make deps lint
#
# The clone (of this repository's HEAD) and the CARGO_HOME are left in /tmp for inspection;
# their paths are printed. RUSTUP_HOME defaults to ~/.rustup.
set -euo pipefail
cd "$(dirname "$0")/.."

(($#)) || set -- bash .ci/run
rustup=$(command -v rustup) || { echo "fresh-clone.sh: rustup not found" >&2; exit 2; }
rustup=$(readlink -f "$rustup")

clone=$(mktemp -d /tmp/customauth-fresh.XXXX)
git clone -q "$PWD" "$clone"
home=$(mktemp -d /tmp/customauth-cargo-home.XXXX)
mkdir "$home/bin"
for tool in cargo rustc rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver rustup; do
  ln -s "$rustup" "$home/bin/$tool"
done

echo "fresh-clone.sh: $(git rev-parse --short HEAD) in $clone, CARGO_HOME=$home, running: $*"
start=$(date +%s)
set +e
(
  cd "$clone"
  unset CARGO_TARGET_DIR CUSTOMAUTH_TEST_PYTHON VIRTUAL_ENV PYENV_VERSION
  exec env CARGO_HOME="$home" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    PATH="/usr/bin:$home/bin:/usr/local/bin:/bin:/usr/sbin:/sbin" "$@" </dev/null
)
status=$?
echo "fresh-clone.sh: exit $status after $(($(date +%s) - start)) s ($clone, CARGO_HOME=$home)"
exit $status
