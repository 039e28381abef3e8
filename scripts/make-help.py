#!/usr/bin/env python3
"""`make help`: the Makefile's documented targets (each `## target: text` comment and the `##` lines
after it), by group. Fails (exit 1) when a documented target is in no group, or a group names a
target that is not documented: a new target must be given a place here."""

import re
import sys
import textwrap
from pathlib import Path

GROUPS = {
    "run it": ["run", "emulator", "watch", "invoke"],
    "test it": ["test", "lint", "pytest", "sdk-matrix", "audit", "fmt"],
    "deploy it": ["build", "lambda-tools", "deploy", "package-tencent"],
    "measure it (not tests)": ["bench", "bench-timing", "load", "hostile", "first-request", "bench-emulator",
                               "bench-cloudbase"],
    "maintenance": ["help", "deps", "chromium", "package-tools", "clean-dev", "clean-venv"],
}


def documented(makefile: str) -> dict[str, str]:
    values = dict(re.findall(r"^([A-Z_]+) *[:?]?= *(.*)$", makefile, re.M))
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    docs, current = {}, None
    for line in makefile.splitlines():
        head = re.match(r"^## ([a-z][a-z-]*): (.*)$", line)
        if head and head.group(1) in targets:
            current = head.group(1)
            docs[current] = head.group(2)
        elif line.startswith("## ") and current:
            docs[current] += " " + line[3:]
        else:
            current = None
    return {name: re.sub(r"\$\(([A-Z_]+)\)", lambda m: values.get(m.group(1), m.group(0)), text)
            for name, text in docs.items()}


def main() -> int:
    docs = documented(Path(sys.argv[1] if len(sys.argv) > 1 else "Makefile").read_text())
    grouped = [name for names in GROUPS.values() for name in names]
    problems = [f"`make {n}` is documented but in no group of scripts/make-help.py" for n in docs if n not in grouped]
    problems += [f"scripts/make-help.py groups `{n}`, which has no `## {n}:` line" for n in grouped if n not in docs]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    width = max(map(len, grouped)) + 2
    for group, names in GROUPS.items():
        print(f"{group}:")
        for name in names:
            lines = textwrap.wrap(docs[name], 100 - width - 2)
            print(f"  {name.ljust(width)}{lines[0]}")
            for more in lines[1:]:
                print(" " * (width + 2) + more)
    return 0


if __name__ == "__main__":
    sys.exit(main())
