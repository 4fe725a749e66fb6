#!/usr/bin/env python3
"""File-level import graph of the workspace's Rust sources; prints every cycle, exits 1 if any.

An edge a.rs -> b.rs means code in a.rs names an item of b.rs through `crate::` or `super::`
paths (in `use` lines or inline). Names re-exported by a crate root or a `mod.rs`
(`pub use m::{X, Y}`) resolve to the file that defines them; the re-export lines themselves and
`mod x;` declarations are containment, not imports. Tests, benches and examples are left out.
Usage: python3 tools/import_cycles.py [ROOT]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")


def crates():
    out = [("duologue", os.path.join(root, "src"))]
    cdir = os.path.join(root, "crates")
    for c in sorted(os.listdir(cdir)):
        if os.path.isdir(os.path.join(cdir, c, "src")):
            out.append((c, os.path.join(cdir, c, "src")))
    return out


def module_files(src):
    """module path tuple -> file"""
    files = {}
    for dirpath, _, names in os.walk(src):
        for n in names:
            if not n.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, n), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("lib", "main", "mod"):
                parts = parts[:-1]
            files[tuple(parts)] = os.path.join(dirpath, n)
    return files


USE = re.compile(r"\buse\s+([^;]+);", re.S)


def expand(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']"""
    tree = re.sub(r"\s+", "", tree)
    def rec(prefix, t):
        i = t.find("{")
        if i < 0:
            return [prefix + t]
        head, body = t[:i], t[i + 1:-1]
        items, depth, cur = [], 0, ""
        for ch in body:
            if ch == "," and depth == 0:
                items.append(cur); cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        if cur:
            items.append(cur)
        out = []
        for it in items:
            out += rec(prefix + head, it)
        return out
    return rec("", tree)


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def main():
    edges = {}
    for _, src in crates():
        files = module_files(src)
        texts = {m: strip_comments(open(f).read()) for m, f in files.items()}
        # Cut #[cfg(test)] mod tests { ... } blocks (unit tests may name anything).
        for m, t in texts.items():
            i = t.find("#[cfg(test)]")
            if i >= 0:
                texts[m] = t[:i]
        # re-exports: (module, name) -> defining module
        reexp = {}
        for m, t in texts.items():
            for tree in USE.findall(t):
                if not re.search(r"pub(\([^)]*\))?\s+use\s+" + re.escape(tree.strip()[:20]), t):
                    continue
                for p in expand(tree):
                    segs = p.split("::")
                    name = segs[-1].split(" as ")[-1]
                    target = resolve(segs[:-1], m, files)
                    if target is not None:
                        reexp[(m, name)] = target
        for m, t in texts.items():
            f = files[m]
            deps = set()
            for tree in USE.findall(t):
                if re.search(r"pub(\([^)]*\))?\s+use\s+" + re.escape(tree.strip()[:20]), t) and m in [k[0] for k in reexp]:
                    continue
                for p in expand(tree):
                    add(p.split("::"), m, files, reexp, deps)
            for p in re.findall(r"\b((?:crate|super)(?:::\w+)+)", t):
                add(p.split("::"), m, files, reexp, deps)
            deps.discard(f)
            edges.setdefault(f, set()).update(deps)
    cycles = find_cycles(edges)
    for c in cycles:
        print(" -> ".join(os.path.relpath(x, root) for x in c))
    print(f"{len(edges)} files, {sum(len(v) for v in edges.values())} imports, {len(cycles)} cycles")
    return 1 if cycles else 0


def resolve(segs, here, files):
    """Module path of `segs` (crate::a::b / super::x / self::y) seen from module `here`."""
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] == "super":
        base, rest = here[:-1], segs[1:]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    elif segs[0] == "self":
        base, rest = here, segs[1:]
    else:
        return None
    mod = tuple(base)
    for s in rest:
        if mod + (s,) in files:
            mod = mod + (s,)
        else:
            break
    return mod


def add(segs, here, files, reexp, deps):
    if segs[0] not in ("crate", "super", "self"):
        return
    mod = resolve(segs, here, files)
    if mod is None:
        return
    # the name after the module, if it is re-exported there, points on
    consumed = len(mod) - (0 if segs[0] == "crate" else len(here) - (segs.count("super")) if segs[0] == "super" else len(here))
    names = [s.split(" as ")[0] for s in segs[1:]]
    tail = [n for n in names if n not in mod]
    seen = set()
    while tail and (mod, tail[0]) in reexp and (mod, tail[0]) not in seen:
        seen.add((mod, tail[0]))
        mod = reexp[(mod, tail[0])]
    if mod == here:
        return
    # importing a module's own descendant is containment
    if mod[: len(here)] == here and segs[0] == "self":
        return
    deps.add(files[mod])


def find_cycles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def strong(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in list(edges):
        if v not in index:
            strong(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
