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


def test_make_help_lists_every_documented_target_in_a_group(tmp_path):
    """`make help` groups every target that has a `## target:` line; a target documented but in no
    group (or a group naming an undocumented one) fails it, so the list cannot drift."""
    done = subprocess.run(["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    groups = [line[:-1] for line in done.stdout.splitlines() if line and not line.startswith(" ")]
    assert groups == ["run it", "test it", "deploy it", "measure it (not tests)", "maintenance"], groups
    for target in ("run", "test", "deploy", "package-tencent", "bench", "clean-venv"):
        assert f"\n  {target} " in done.stdout, target

    makefile = (ROOT / "Makefile").read_text() + "\n## brand-new: a target nobody grouped\nbrand-new:\n\ttrue\n"
    (tmp_path / "Makefile").write_text(makefile)
    done = subprocess.run(["python3", str(ROOT / "scripts" / "make-help.py"), str(tmp_path / "Makefile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "`make brand-new` is documented but in no group" in done.stderr, done
