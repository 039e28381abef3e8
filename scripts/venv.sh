#!/usr/bin/env bash
# make deps: the project's Python tools (requirements-dev.txt) in a virtualenv of their own.
#
#   scripts/venv.sh VENV REQUIREMENTS [PYTHON]
#
# Creates VENV with PYTHON (default python3) when it is missing or broken, then installs
# REQUIREMENTS into it. Nothing is installed into the system Python, so Debian's python3
# (which refuses `pip install` outside a venv: externally-managed-environment) works.
# Debian splits `venv` into the python3-venv package; when it is missing and we are root,
# it is installed with apt-get, else the command to run is printed.
set -euo pipefail

VENV=${1:?usage: scripts/venv.sh VENV REQUIREMENTS [PYTHON]}
REQUIREMENTS=${2:?usage: scripts/venv.sh VENV REQUIREMENTS [PYTHON]}
PYTHON=${3:-python3}

command -v "$PYTHON" >/dev/null || {
  echo "venv.sh: $PYTHON not found; install Python 3 (Debian: apt-get install python3 python3-venv)" >&2
  exit 2
}

mkdir -p "$(dirname "$VENV")"
make_venv() { "$PYTHON" -m venv --clear "$VENV" >"$VENV.log" 2>&1; }

if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  echo "venv.sh: creating $VENV with $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"
  if ! make_venv; then
    # Debian/Ubuntu: ensurepip (and so venv) lives in python3-venv, which pulls in
    # python3.X-venv for the default python3; another python3.X needs its own package.
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "venv.sh: $PYTHON cannot create a virtualenv; installing python3-venv with apt-get"
      apt-get update -qq
      # --no-upgrade: install what is missing, upgrade nothing already there.
      apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade "$@"; }
      apt_install python3-venv && make_venv ||
        { apt_install "python$version-venv" && make_venv; } ||
        { cat "$VENV.log" >&2; exit 1; }
    else
      cat "$VENV.log" >&2
      echo "venv.sh: $PYTHON cannot create a virtualenv; run: sudo apt-get install python3-venv (or python$version-venv)" >&2
      exit 1
    fi
  fi
  rm -f "$VENV.log"
fi

echo "venv.sh: installing $REQUIREMENTS into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
