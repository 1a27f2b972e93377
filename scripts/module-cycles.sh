#!/usr/bin/env bash
# Finds import circles between the source files of Rust crates: prints each circle and exits 1.
#   scripts/module-cycles.sh [CRATE_DIR...]      (default: frontend)
# A file imports another when one of its `use` paths, or a path in its code (`crate::x::f()`, or
# `routes::sessions::create` after `use crate::routes;`), names an item defined there. Re-exports are followed to the defining file (`use crate::hooks::use_lang`
# points at hooks/use_lang.rs, not hooks/mod.rs), so `mod` declarations and `pub use` lines in a
# mod.rs are no circle; a parent and a child that name each other's items are. Test code counts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- frontend
exec python3 - "$@" <<'PY'
import os, re, sys

STRIP = re.compile(r'''//[^\n]*|/\*.*?\*/|r(\#*)".*?"\1|b?"(?:\\.|[^"\\])*"|'(?:\\[^']{1,10}|[^\\'\n])' ''',
                   re.S | re.X)
TOKEN = re.compile(r'''(?P<use>(?P<pub>\bpub(?:\s*\([^)]*\))?\s+)?\buse\s+(?P<tree>[^;]+);)
                     | \bmod\s+(?P<inline>\w+)\s*\{ | \bmod\s+(?P<decl>\w+)\s*;
                     | (?P<path>(?<![\w:])\w+(?:\s*::\s*\w+)+) | (?P<open>\{) | (?P<close>\})''', re.X)

def blank(m):
    return re.sub(r'[^\n]', ' ', m.group(0))

def parse_tree(text):
    """A use tree as (segments, alias) leaves; `*` and `self` kept as segments."""
    toks = re.findall(r'::|\w+|[{},*]', text)
    pos = 0
    def tree(prefix):
        nonlocal pos
        segs = list(prefix)
        while pos < len(toks):
            t = toks[pos]
            if t == '::':
                pos += 1
            elif t == '{':
                pos += 1
                out = []
                while toks[pos] != '}':
                    if toks[pos] == ',':
                        pos += 1
                        continue
                    out += tree(segs)
                pos += 1
                return out
            elif t in (',', '}'):
                break
            elif t == 'as':
                alias = toks[pos + 1]
                pos += 2
                return [(segs, alias)]
            else:
                segs.append(t)
                pos += 1
        return [(segs, None)]
    return tree([])

class Crate:
    def __init__(self, src):
        self.src = src
        self.modfile = {}      # module path (tuple) -> file
        self.exports = {}      # module path -> {name: absolute path of what it re-exports}
        self.refs = []         # (file, module path, segments, is_use, line)
        self.files = {}

    def load(self, path, modpath):
        if not os.path.exists(path) or path in self.files:
            return
        text = open(path, encoding='utf-8').read()
        text = STRIP.sub(blank, text)
        self.files[path] = modpath
        self.modfile[modpath] = path
        name = os.path.basename(path)
        here = os.path.dirname(path)
        child_dir = here if name in ('mod.rs', 'main.rs', 'lib.rs') or path == self.root else path[:-3]
        stack, depth = [], 0
        for m in TOKEN.finditer(text):
            cur = modpath + tuple(n for n, _ in stack)
            line = text.count('\n', 0, m.start()) + 1
            if m.group('open'):
                depth += 1
            elif m.group('close'):
                depth -= 1
                if stack and stack[-1][1] == depth:
                    stack.pop()
            elif m.group('inline'):
                stack.append((m.group('inline'), depth))
                self.modfile[cur + (m.group('inline'),)] = path
                depth += 1
            elif m.group('decl'):
                d = m.group('decl')
                base = os.path.join(child_dir, *[n for n, _ in stack])
                for cand in (os.path.join(base, d + '.rs'), os.path.join(base, d, 'mod.rs')):
                    if os.path.exists(cand):
                        self.load(cand, cur + (d,))
                        break
            elif m.group('use'):
                for segs, alias in parse_tree(m.group('tree')):
                    self.refs.append((path, cur, segs, True, line, bool(m.group('pub')), alias))
            elif m.group('path'):
                segs = re.findall(r'\w+', m.group('path'))
                self.refs.append((path, cur, segs, False, line, False, None))

    def absolute(self, cur, segs, is_use):
        segs = [s for s in segs if s != '']
        if not segs:
            return None
        if segs[0] == 'crate':
            base, rest = (), segs[1:]
        elif segs[0] in ('self', 'super'):
            base, rest = cur, segs
            while rest and rest[0] in ('self', 'super'):
                if rest[0] == 'super':
                    base = base[:-1]
                rest = rest[1:]
        elif cur + (segs[0],) in self.modfile:
            base, rest = cur, segs
        else:
            return None   # another crate, or a name brought in by a use line already counted
        return tuple(base) + tuple(s for s in rest if s != 'self')

    def target(self, path, seen=()):
        """The file that defines what `path` names, following re-exports."""
        n = len(path)
        while n > 0 and path[:n] not in self.modfile:
            n -= 1
        mod = path[:n]
        if n < len(path) and path[n] != '*' and path not in seen:
            src = self.exports.get(mod, {}).get(path[n])
            if src is not None:
                return self.target(src + path[n + 1:], seen + (path,))
        return self.modfile.get(mod)

    def edges(self):
        for f, cur, segs, is_use, line, pub, alias in self.refs:
            if is_use and pub and segs and segs[-1] not in ('*', 'self'):
                a = self.absolute(cur, segs, True)
                if a:
                    self.exports.setdefault(cur, {})[alias or segs[-1]] = a
        # Names a use line brings into scope, so `routes::sessions::create(..)` after
        # `use crate::routes;` counts as naming routes/sessions.rs.
        names = {}
        for f, cur, segs, is_use, line, pub, alias in self.refs:
            if is_use and segs and segs[-1] != '*':
                a = self.absolute(cur, segs, True)
                name = alias or (segs[-2] if segs[-1] == 'self' and len(segs) > 1 else segs[-1])
                if a:
                    names[(f, cur, name)] = a
        out = {}
        for f, cur, segs, is_use, line, pub, alias in self.refs:
            a = self.absolute(cur, segs, is_use)
            if a is None and not is_use and (f, cur, segs[0]) in names:
                a = names[(f, cur, segs[0])] + tuple(segs[1:])
            t = a is not None and self.target(a)
            if t and t != f:
                out.setdefault(f, {}).setdefault(t, (line, '::'.join(segs)))
        return out

def shown(f):
    r = os.path.relpath(f)
    return f if r.startswith('..') else r

def cycles(graph):
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps

found = 0
for crate_dir in sys.argv[1:]:
    src = os.path.join(crate_dir, 'src')
    roots = [os.path.join(src, r) for r in ('lib.rs', 'main.rs')]
    bins = os.path.join(src, 'bin')
    if os.path.isdir(bins):
        roots += sorted(os.path.join(bins, b) for b in os.listdir(bins) if b.endswith('.rs'))
    nfiles = 0
    for root in roots:
        if not os.path.exists(root):
            continue
        c = Crate(src)
        c.root = root
        c.load(root, ())
        graph = c.edges()
        nfiles += len(c.files)
        for comp in cycles(graph):
            found += 1
            print(f'circle of {len(comp)} files in {crate_dir} (from {shown(root)}):')
            for f in comp:
                for t, (line, what) in sorted(graph.get(f, {}).items()):
                    if t in comp:
                        print(f'  {shown(f)}:{line} -> {shown(t)}  ({what})')
    print(f'{crate_dir}: {nfiles} files checked')
print(f'{found} import circle(s)')
sys.exit(1 if found else 0)
PY
