#!/usr/bin/env python3
"""Runs the shell blocks of the documentation that are marked runnable.

A fenced block whose info string is `sh runnable` (README.md and docs/**/*.md)
is a command a reader can paste into a shell at the repository root after
`scripts/attn.sh test`: this script runs each such block with bash (`-e -u
-o pipefail`) at the root and fails when one exits non-zero, printing the
block, its file and line, and its output.

usage: run_doc_commands.py --root DIR --build DIR [--list]
Exits 77 (skipped) when the build the blocks name (<root>/build) is not the
given one, or is missing.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

FENCE = re.compile(r"^(\s*)```(\S*)\s*(.*)$")


def blocks(path):
    """(line, text) of each `sh runnable` block of a Markdown file."""
    out, current, start, indent = [], None, 0, ""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = FENCE.match(line)
        if current is None:
            if m and m.group(2) == "sh" and m.group(3).split() == ["runnable"]:
                current, start, indent = [], n, m.group(1)
            continue
        if m and not m.group(2):
            out.append((start, "\n".join(current) + "\n"))
            current = None
            continue
        current.append(line[len(indent):] if line.startswith(indent) else line)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, type=pathlib.Path)
    p.add_argument("--build", required=True, type=pathlib.Path)
    p.add_argument("--list", action="store_true", help="only list the blocks")
    p.add_argument("--timeout", type=int, default=300)
    a = p.parse_args()
    root = a.root.resolve()
    docs = [root / "README.md"] + sorted((root / "docs").rglob("*.md"))
    found = [(f, n, text) for f in docs for n, text in blocks(f)]
    if a.list:
        for f, n, text in found:
            print(f"{f.relative_to(root)}:{n}\n{text}")
        return 0
    named = root / "build"
    if not named.exists() or named.resolve() != a.build.resolve():
        print(f"SKIPPED: the blocks use {named}, which is not the build "
              f"directory {a.build}")
        return 77
    failures = 0
    for f, n, text in found:
        where = f"{f.relative_to(root)}:{n}"
        t0 = time.time()
        try:
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", text],
                               cwd=root, capture_output=True, text=True,
                               timeout=a.timeout)
            rc, output = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            rc, output = "timeout", ""
        secs = time.time() - t0
        if rc == 0:
            print(f"PASS {where} ({secs:.1f} s)")
        else:
            failures += 1
            print(f"FAIL {where} (exit {rc}):\n{text}--- output ---\n"
                  f"{output[-4000:]}")
    print(f"{len(found) - failures} of {len(found)} runnable blocks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
