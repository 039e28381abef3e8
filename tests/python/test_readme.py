"""The README's commands and tables agree with the Makefile and scripts/run-local.sh."""

from __future__ import annotations

import os
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
    assert {"run", "test", "lambda-tools", "deploy", "build", "watch", "invoke"} <= targets, targets
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


def test_tencent_commands_are_marked_as_needing_tencent_cloud():
    blocks = [b for b in SH_BLOCKS if re.search(r"^(cd \S+ && )?(sls|tcb)\b", b, re.M)]
    assert len(blocks) >= 2, "the Serverless Framework and CloudBase CLI deployments"
    for block in blocks:
        start = README.index(block)
        before = README[max(0, start - 600) : start].lower()
        assert "needs a tencent cloud account" in before or "needs a cloudbase environment" in before, block


def test_every_script_the_readme_runs_exists_and_is_executable():
    scripts = set()
    for block in SH_BLOCKS:
        for line in block.splitlines():
            scripts |= set(re.findall(r"(?<![\w/.-])(scripts/[\w.-]+(?:/[\w.-]+)*)", line.split("#")[0]))
    assert "scripts/tencent-env.py" in scripts, scripts
    for script in sorted(scripts):
        path = ROOT / script
        assert path.is_file() and os.access(path, os.X_OK), script


def test_client_samples_are_the_tested_files():
    """Each SDK sample of "From ticket to login" is a file that emulator/tests/sdks.rs runs against the
    emulator (client_samples_run_as_printed), shown verbatim, and every such file is shown."""
    section = README[README.index("## From ticket to login") : README.index("## Command line")]
    shown = re.findall(r"<!-- sample: (\S+) -->\n```js\n(.*?)```", section, re.S)
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "emulator" / "sdk-tests" / "samples").glob("*.js")}
    assert len(files) >= 5, files
    assert sorted(path for path, _ in shown) == sorted(files)
    for path, code in shown:
        assert code == (ROOT / path).read_text(), f"the README's copy of {path} differs from the file"
