"""The README's commands and tables agree with the Makefile and scripts/run-local.sh."""

from __future__ import annotations

import re
import subprocess

from conftest import ROOT

README = (ROOT / "README.md").read_text()
SH_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)


def test_every_make_target_in_the_readme_exists():
    targets = set()
    for block in SH_BLOCKS:
        for line in block.splitlines():
            command = line.split("#")[0]
            targets |= set(re.findall(r"(?<![\w/.-])make ([a-z][a-z-]*)", command))
    assert {"run", "test", "deps", "deploy", "build", "watch", "invoke"} <= targets, targets
    for target in sorted(targets):
        done = subprocess.run(["make", "-n", "-s", target], cwd=ROOT, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
        assert done.returncode == 0, f"make {target}: {done.stderr}"


def test_make_run_variables_are_documented():
    script = (ROOT / "scripts" / "run-local.sh").read_text()
    read = set(re.findall(r"^([A-Z_]+)=\$\{\1:-", script, re.M)) | set(re.findall(r"\$\{([A-Z_]+):-", script))
    read -= {"PYTHON", "CARGO_TARGET_DIR"}  # not make run settings
    table = README[README.index("`make run` runs the whole login loop") : README.index("### `customauth` on the PATH")]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert read == documented, (read, documented)


def test_aws_commands_are_marked_as_needing_aws():
    for block in SH_BLOCKS:
        if re.search(r"^(aws|sam|cargo lambda deploy)\b", block, re.M):
            start = README.index(block)
            before = README[max(0, start - 600) : start].lower()
            assert "needs aws" in before or "needs an aws account" in before, block
