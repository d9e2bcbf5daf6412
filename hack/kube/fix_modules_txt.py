#!/usr/bin/env python3
"""Repairs vendor/modules.txt of Kubernetes v1.20.2 for Go >= 1.16.

The Go 1.15 that vendored the tree sometimes listed packages under a module's
"# path => replacement" line (the replace-directive record, which carries no
version) instead of under the versioned "# path version [=> replacement]" line
of the module that provides them. Newer `go build -mod=vendor` rejects that
("inconsistent vendoring" / package not provided by any module). Each such
package is moved under the versioned module whose path is its longest prefix.
Idempotent: a repaired file is rewritten unchanged.
"""
import sys


def owner(pkg, versioned):
    best = None
    for mod in versioned:
        if pkg == mod or pkg.startswith(mod + "/"):
            if best is None or len(mod) > len(best):
                best = mod
    return best


def main(path):
    with open(path) as f:
        lines = f.read().splitlines()
    blocks = []  # [header, [lines]]; header None for leading lines
    cur = [None, []]
    blocks.append(cur)
    for line in lines:
        if line.startswith("# "):
            cur = [line, []]
            blocks.append(cur)
        else:
            cur[1].append(line)
    versioned = {}  # module path -> block
    for blk in blocks:
        if blk[0] is None:
            continue
        parts = blk[0][2:].split()
        if len(parts) >= 2 and parts[1] != "=>":
            versioned[parts[0]] = blk
    moved = 0
    for blk in blocks:
        if blk[0] is None:
            continue
        parts = blk[0][2:].split()
        if len(parts) >= 2 and parts[1] == "=>":
            keep = []
            for line in blk[1]:
                if line.startswith("#") or not line.strip():
                    keep.append(line)
                    continue
                mod = owner(line, versioned)
                if mod is None:
                    sys.exit(f"fix_modules_txt: no versioned module provides {line}")
                versioned[mod][1].append(line)
                moved += 1
            blk[1] = keep
    out = []
    for header, body in blocks:
        if header is not None:
            out.append(header)
        out.extend(body)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"fix_modules_txt: moved {moved} package lines")


if __name__ == "__main__":
    main(sys.argv[1])
