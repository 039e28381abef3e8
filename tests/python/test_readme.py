"""The docs are true: README.md, docs/, CONTRIBUTING.md, SECURITY.md, BENCHMARKS.md and the folder
READMEs. Their commands name make targets and scripts that exist, cloud commands say what they need,
their links and anchors resolve, every variable they name is one the functions read (their --help)
or a script reads, and the code they show is the tested files."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, binary

DOCS = sorted(
    {ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", ROOT / "BENCHMARKS.md",
     ROOT / "emulator" / "README.md", ROOT / "fuzz" / "README.md", ROOT / "tests" / "fixtures" / "keys" / "README.md"}
    | set((ROOT / "docs").glob("*.md"))
)
README = (ROOT / "README.md").read_text()
FUNCTIONS = ("create-ticket", "get-user-info", "get-client-ip")


def name(doc: Path) -> str:
    return str(doc.relative_to(ROOT))


def sh_blocks(doc: Path) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S)


def named_in_commands(pattern: str) -> dict[str, str]:
    """What `pattern` (one group) finds in the docs' sh commands (comments left out), each with the
    first doc that names it."""
    found = {}
    for doc in DOCS:
        for block in sh_blocks(doc):
            for line in block.splitlines():
                for match in re.findall(pattern, line.split("#")[0]):
                    found.setdefault(match, name(doc))
    return found


def test_the_docs_exist():
    names = {name(d) for d in DOCS}
    assert {"docs/configuration.md", "docs/api.md", "docs/caller-auth.md", "docs/clients.md",
            "docs/deploy-aws.md", "docs/deploy-tencent.md", "docs/key-rotation.md"} <= names, names
    assert all(d.is_file() for d in DOCS)


def test_the_readme_is_a_short_guide():
    lines = README.count("\n")
    assert lines <= 250, f"README.md has {lines} lines: move reference material to docs/"


def test_every_make_target_in_the_docs_exists():
    targets = named_in_commands(r"(?<![\w/.-])make ([a-z][a-z-]*)")
    assert {"run", "test", "lambda-tools", "deploy", "watch", "invoke", "package-tencent"} <= set(targets), targets
    for target, doc in sorted(targets.items()):
        done = subprocess.run(["make", "-n", "-s", target], cwd=ROOT, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
        assert done.returncode == 0, f"{doc}: make {target}: {done.stderr}"


def test_every_script_the_docs_run_exists_and_is_executable():
    scripts = named_in_commands(r"(?<![\w/.-])(scripts/[\w./-]+\.(?:sh|py|js))")
    assert "scripts/tencent-env.py" in scripts, scripts
    for script, doc in sorted(scripts.items()):
        path = ROOT / script
        assert path.is_file() and (script.endswith(".js") or os.access(path, os.X_OK)), f"{doc}: {script}"


def test_make_run_variables_are_documented():
    script = (ROOT / "scripts" / "run-local.sh").read_text()
    read = set(re.findall(r"^([A-Z_]+)=\$\{\1:-", script, re.M)) | set(re.findall(r"\$\{([A-Z_]+):-", script))
    read -= {"PYTHON", "CARGO_TARGET_DIR"}  # not make run settings
    read = {v for v in read if not v.startswith("CUSTOMAUTH_")}  # the functions' own, in docs/configuration.md
    table = README[README.index("`make run` generates") : README.index("### `customauth` on the PATH")]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert read == documented, (read, documented)


def test_aws_commands_are_marked_as_needing_aws():
    for doc in DOCS:
        text = doc.read_text()
        for block in sh_blocks(doc):
            if re.search(r"^(aws|sam|cargo lambda deploy)\b", block, re.M):
                start = text.index(block)
                before = text[max(0, start - 600) : start].lower()
                assert "needs aws" in before or "needs an aws account" in before, f"{name(doc)}: {block}"


def test_tencent_commands_are_marked_as_needing_tencent_cloud():
    found = 0
    for doc in DOCS:
        text = doc.read_text()
        for block in sh_blocks(doc):
            if re.search(r"^(cd \S+ && )?(sls|scf|tcb)\b", block, re.M):
                found += 1
                start = text.index(block)
                before = text[max(0, start - 600) : start].lower()
                assert "needs a tencent cloud account" in before or "needs a cloudbase environment" in before, \
                    f"{name(doc)}: {block}"
    assert found >= 2, "the web-function and CloudBase CLI deployments"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_links_between_the_docs_resolve():
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # https://, mailto:
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            assert file.exists(), f"{name(doc)} links to {target}, which does not exist"
            if anchor:
                assert anchor in anchors(file), f"{name(doc)} links to {target}: no such heading"


def test_every_variable_the_docs_name_is_one_something_reads():
    read = set()
    for function in FUNCTIONS:
        help_text = subprocess.run([str(binary(function)), "--help"], capture_output=True, text=True,
                                   timeout=30).stdout
        read |= set(re.findall(r"^  ([A-Z][A-Z0-9_]*)$", help_text, re.M))
    assert "CUSTOMAUTH_CALLER_AUTH" in read, "--help's layout changed: update this test"
    tools = (ROOT / "Makefile").read_text() + "".join(p.read_text() for p in (ROOT / "scripts").rglob("*.sh"))
    for doc in DOCS:
        for variable in set(re.findall(r"\b((?:CUSTOMAUTH|TCB_CUSTOM_LOGIN)_[A-Z0-9_]*[A-Z0-9])\b", doc.read_text())):
            assert variable in read or variable in tools, f"{name(doc)} names {variable}, which nothing reads"


def test_client_samples_are_the_tested_files():
    """Each SDK sample of docs/clients.md is a file that emulator/tests/sdks.rs runs against the
    emulator (client_samples_run_as_printed), shown verbatim; every such file is shown there and
    linked from the README."""
    section = (ROOT / "docs" / "clients.md").read_text()
    shown = re.findall(r"<!-- sample: (\S+) -->\n```js\n(.*?)```", section, re.S)
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "emulator" / "sdk-tests" / "samples").glob("*.js")}
    assert len(files) >= 5, files
    assert sorted(path for path, _ in shown) == sorted(files)
    for path, code in shown:
        assert code == (ROOT / path).read_text(), f"docs/clients.md's copy of {path} differs from the file"
    for path in files:
        assert f"]({path})" in README, f"the README's SDK table does not link {path}"


@pytest.mark.parametrize("doc", [d for d in DOCS if "<!-- snippet:" in d.read_text()], ids=name)
def test_snippets_are_the_tested_files(doc):
    """A snippet is shown as its file of docs/snippets/, which tests/python/test_run_local.py runs
    in chromium against make run."""
    shown = re.findall(r"<!-- snippet: (\S+) -->\n```js\n(.*?)```", doc.read_text(), re.S)
    assert shown
    for path, code in shown:
        assert code == (ROOT / path).read_text(), f"{name(doc)}'s copy of {path} differs from the file"
