#!/usr/bin/env python3
"""Finds import circles between the modules of each crate of the workspace.

usage: scripts/import-cycles.py [CRATE_DIR...]   (default: every crate with a src/ directory)

Each file is a module (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`). A path that names another
module (`use crate::a::b::X`, `super::b::f()`, `self::b`, a use tree `crate::{a, b::{c, d}}`)
is an import of that module, test modules included. A module using its ancestors (`super::*`,
`use crate::a::X` from inside `a/`) is how Rust modules work and does not count; everything
else does, collapsed to the level where the two modules part: `server` using
`routes::lessons` is `server -> routes`, `routes/nodes.rs` using `crate::server` is
`routes -> server`, and the two make a circle. Prints every circle with the lines that make it;
exits 1 if there is one.
"""

import os
import re
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def strip_comments_and_strings(text):
    """The source without comments, string and char literals (replaced by spaces, lines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use_tree(tree):
    """`crate::{a, b::{c, d as e}}` -> ["crate::a", "crate::b::c", "crate::b::d"]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    return _expand(re.sub(r"\s+", "", tree))


def _expand(tree):
    depth, start = 0, None
    for i, c in enumerate(tree):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
    if start is None:
        return [tree]
    prefix, inner = tree[:start], tree[start + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for c in inner:
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += c == "{"
        depth -= c == "}"
        cur += c
    parts.append(cur)
    out = []
    for p in parts:
        if not p:
            continue
        if p == "self":
            out.append(prefix.rstrip(":"))
        else:
            out.extend(_expand(prefix + p))
    return out


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    if rel in (["lib"], ["main"]):
        rel = []
    return tuple(rel)


def crate_files(src):
    """File -> module path for the library (or the binary when there is no lib.rs)."""
    files = {}
    has_lib = os.path.exists(os.path.join(src, "lib.rs"))
    for dirpath, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs if d != "bin"]
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            if has_lib and os.path.relpath(path, src) == "main.rs":
                continue
            files[path] = module_of(src, path)
    return files


PATH = re.compile(r"\b((?:crate|super|self)(?:::(?:\w+|\{))+)")


def imports(text, module, modules):
    """(line, target module) for every path of `text` (a file of `module`) naming a module."""
    clean = strip_comments_and_strings(text)
    found = []
    # Inline modules (`mod tests { ... }`) shift what `super` and `self` mean.
    scopes, depth = [(0, module)], 0
    tokens = re.finditer(r"\bmod\s+(\w+)\s*\{|\{|\}|\buse\s+([^;]+);|" + PATH.pattern, clean)
    for m in tokens:
        tok = m.group(0)
        line = clean.count("\n", 0, m.start()) + 1
        if m.group(1):
            depth += 1
            scopes.append((depth, scopes[-1][1] + (m.group(1),)))
            continue
        if tok == "{":
            depth += 1
            continue
        if tok == "}":
            if scopes[-1][0] == depth and len(scopes) > 1:
                scopes.pop()
            depth -= 1
            continue
        here = scopes[-1][1]
        paths = expand_use_tree(m.group(2)) if m.group(2) else [m.group(3)]
        for p in paths:
            target = resolve(p, here, modules)
            if target is not None:
                found.append((line, target))
    return found


def resolve(path, here, modules):
    parts = [x for x in path.split("::") if x and x != "{"]
    if not parts:
        return None
    if parts[0] == "crate":
        base, rest = (), parts[1:]
    elif parts[0] in ("super", "self"):
        base = here
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                base = base[:-1]
            parts = parts[1:]
        rest = parts
    else:
        return None
    full = base + tuple(rest)
    for k in range(len(full), -1, -1):
        if full[:k] in modules:
            return full[:k]
    return None


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(crate, mod):
    return crate + ("::" + "::".join(mod) if mod else "")


def check_crate(crate_dir):
    src = os.path.join(crate_dir, "src")
    crate = os.path.basename(os.path.normpath(crate_dir))
    files = crate_files(src)
    modules = set(files.values())
    # Collapsed edge (a, b) -> the (file, line, target) lines behind it.
    why = defaultdict(list)
    for path, mod in sorted(files.items()):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for line, target in imports(text, mod, modules):
            common = 0
            while common < min(len(mod), len(target)) and mod[common] == target[common]:
                common += 1
            if common == len(target) or common == len(mod):
                continue  # itself, an ancestor, or its own child
            a, b = mod[:common + 1], target[:common + 1]
            why[(a, b)].append((os.path.relpath(path, ROOT), line, name(crate, target)))
    graph = defaultdict(set)
    for a, b in why:
        graph[a].add(b)
    circles = sccs(graph)
    for comp in circles:
        print(f"import circle in {crate}: " + ", ".join(name(crate, m) for m in comp))
        members = set(comp)
        for (a, b), lines in sorted(why.items()):
            if a in members and b in members:
                f, line, target = lines[0]
                more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
                print(f"  {name(crate, a)} -> {name(crate, b)}: {f}:{line} uses {target}{more}")
    return len(circles)


def main():
    dirs = sys.argv[1:] or sorted(
        os.path.join(ROOT, d) for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d, "src"))
    )
    total = sum(check_crate(d) for d in dirs)
    if total:
        print(f"{total} import circle(s)")
        return 1
    print(f"no import circles ({len(dirs)} crate(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
