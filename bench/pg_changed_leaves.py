#!/usr/bin/python3
"""Counts the 2 MiB leaves of a PostgreSQL data directory whose bytes changed between two
moments, from the outside (no datamon code): the yardstick of issue 9's bytes target, "bytes
uploaded after the 1% update at most 1.2x the new 2 MiB leaves plus one WAL segment".

A leaf is the slice [k*2 MiB, (k+1)*2 MiB) of a file, as datamon cuts it. A leaf is new when its
file is new or its bytes differ from the same slice before. pg_wal/ is left out: a commit keeps
one 16 MiB segment, which the target adds on its own. The "before" state is a file of SHA-256
digests per slice, so the benchmark needs no copy of the data directory (a 1.4 GB copy and its
deletion disturbed the timed steps that followed).

Usage:
  pg_changed_leaves.py snapshot PGDATA DIGESTS   writes the digests of PGDATA's slices
  pg_changed_leaves.py compare DIGESTS PGDATA    prints "changed_leaves=N changed_bytes=B files=F"
Exits 1 naming the folder or file it cannot read.
"""
import hashlib
import json
import os
import sys

LEAF = 2 * 1024 * 1024


def data_files(root):
    """Relative paths of the regular files under root, pg_wal/ left out."""
    for folder, dirs, names in os.walk(root):
        if os.path.relpath(folder, root) == ".":
            dirs[:] = [d for d in dirs if d != "pg_wal"]
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.path.isfile(path):
                yield os.path.relpath(path, root)


def slices(path):
    """(digest, length) of each 2 MiB slice of the file."""
    with open(path, "rb") as f:
        while chunk := f.read(LEAF):
            yield hashlib.sha256(chunk).hexdigest(), len(chunk)


def snapshot(root, out):
    digests = {rel: [d for d, _ in slices(os.path.join(root, rel))] for rel in data_files(root)}
    with open(out + ".tmp", "w") as f:
        json.dump(digests, f)
    os.replace(out + ".tmp", out)


def compare(digests_path, root):
    with open(digests_path) as f:
        before = json.load(f)
    leaves = size = files = 0
    for rel in data_files(root):
        old = before.get(rel, [])
        files += 1
        for k, (digest, length) in enumerate(slices(os.path.join(root, rel))):
            if k >= len(old) or old[k] != digest:
                leaves += 1
                size += length
    print(f"changed_leaves={leaves} changed_bytes={size} files={files}")


def main():
    usage = "usage: pg_changed_leaves.py snapshot PGDATA DIGESTS | compare DIGESTS PGDATA"
    if len(sys.argv) != 4 or sys.argv[1] not in ("snapshot", "compare"):
        sys.exit(usage)
    mode, a, b = sys.argv[1:]
    root = a if mode == "snapshot" else b
    if not os.path.isdir(root):
        sys.exit(f"pg_changed_leaves: {root} is not a folder")
    try:
        snapshot(a, b) if mode == "snapshot" else compare(a, b)
    except OSError as e:
        sys.exit(f"pg_changed_leaves: {e.filename}: {e.strerror}")


if __name__ == "__main__":
    main()
