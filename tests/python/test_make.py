"""The Makefile's cargo-lambda targets say what they need instead of cargo's "no such command"."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import ROOT


def path_without_cargo_lambda() -> str:
    # Keep cargo (and make) but drop every folder that holds a cargo-lambda binary.
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    kept = [d for d in dirs if not os.path.exists(os.path.join(d, "cargo-lambda"))]
    return os.pathsep.join(kept)


@pytest.mark.parametrize("target", ["watch", "invoke", "build"])
def test_cargo_lambda_targets_without_it_name_make_lambda_tools(target, tmp_path):
    env = dict(os.environ, PATH=path_without_cargo_lambda())
    assert shutil.which("cargo-lambda", path=env["PATH"]) is None
    # VENV points at an empty folder (the project venv may hold cargo-lambda). The check is the
    # first prerequisite, so nothing (watch's dev credentials) is built before it fails.
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), f"VENV={tmp_path}/venv", target],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "cargo-lambda is not installed: run `make lambda-tools`" in done.stderr, done.stderr
    assert "no such command" not in done.stderr, done.stderr
