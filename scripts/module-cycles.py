#!/usr/bin/env python3
"""Finds import circles between the modules of a Rust crate.

Usage: scripts/module-cycles.py SRC_DIR [SRC_DIR ...]   (exit 1 when a circle is found)

Each file is a module (`lib.rs` the crate root, `a.rs` or `a/mod.rs` the module `a`, `a/b.rs`
`a::b`). Every `crate::...` and `super::...` path in a file (in `use` lines and inline) is an
edge to the deepest module that path names. Edges between a module and its own ancestors or
descendants are structure (a folder's `mod.rs` declares and re-exports its children, which use
the folder's shared types), not a dependency between concepts, and are left out; a circle among
the rest (`config` -> `credentials` -> `config`, `ticket` -> `verify` -> `ticket`) is reported.
Test modules (`#[cfg(test)] mod tests`, files under a `tests/` folder) are left out too.
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def module_of(src: Path, file: Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def strip_tests(text: str) -> str:
    """Drops `#[cfg(test)] mod NAME { ... }` blocks and line comments."""
    text = re.sub(r"//[^\n]*", "", text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def paths_in(text: str):
    for m in USE_GROUP.finditer(text):
        root, prefix, group = m.group(1), m.group(2), m.group(3)
        for item in re.split(r"[,{}]", group):
            item = item.strip().split(" as ")[0].strip()
            if item and item != "self" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_:]*", item):
                yield root, prefix + "::" + item
            elif item == "self":
                yield root, prefix
    for m in PATH.finditer(text):
        yield m.group(1), m.group(2)


def resolve(here: tuple, root: str, path: str, modules: set) -> tuple:
    base = () if root == "crate" else here[:-1]
    segs = [s for s in path.split("::") if s]
    while segs and segs[0] == "super":
        base, segs = base[:-1], segs[1:]
    best = base
    for k in range(1, len(segs) + 1):
        cand = base + tuple(segs[:k])
        if cand in modules:
            best = cand
    return best


def related(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def cycles(src: Path) -> list:
    files = [f for f in src.rglob("*.rs") if "tests" not in f.relative_to(src).parts[:-1]]
    modules = {module_of(src, f): f for f in files}
    edges = {m: set() for m in modules}
    for m, f in modules.items():
        if m and m[-1] == "tests":
            continue
        for root, path in paths_in(strip_tests(f.read_text())):
            target = resolve(m, root, path, set(modules))
            if target != m and not related(m, target) and not (target and target[-1] == "tests"):
                edges[m].add(target)
    found, state = [], {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return found


def main() -> int:
    bad = False
    for arg in sys.argv[1:]:
        src = Path(arg)
        found = cycles(src)
        name = lambda m: "::".join(("crate",) + m)
        for cycle in found:
            bad = True
            print(f"{src}: import circle: " + " -> ".join(name(m) for m in cycle))
        if not found:
            print(f"{src}: no import circles between modules")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
