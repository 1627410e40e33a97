#!/usr/bin/python3
"""Counts the 2 MiB leaves of a PostgreSQL data directory whose bytes changed between two copies
of it, from the outside (no datamon code): the yardstick of issue 9's bytes target, "bytes
uploaded after the 1% update at most 1.2x the new 2 MiB leaves plus one WAL segment".

A leaf is the slice [k*2 MiB, (k+1)*2 MiB) of a file, as datamon cuts it. A leaf is new when its
file is new or its bytes differ from the same slice of the old copy. pg_wal/ is left out: a
commit keeps one 16 MiB segment, which the target adds on its own. Prints
"changed_leaves=N changed_bytes=B files=F"; exits 1 naming the folder it cannot read.

Usage: pg_changed_leaves.py OLD_PGDATA NEW_PGDATA
"""
import os
import sys

LEAF = 2 * 1024 * 1024


def new_leaves(old_path, new_path):
    """(leaves, bytes) of new_path that differ from the same slices of old_path (absent: all)."""
    leaves = size = 0
    old = open(old_path, "rb") if os.path.isfile(old_path) else None
    try:
        with open(new_path, "rb") as new:
            while True:
                chunk = new.read(LEAF)
                if not chunk:
                    break
                if old is None or old.read(LEAF) != chunk:
                    leaves += 1
                    size += len(chunk)
    finally:
        if old:
            old.close()
    return leaves, size


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    old_root, new_root = sys.argv[1:]
    for root in (old_root, new_root):
        if not os.path.isdir(root):
            sys.exit(f"pg_changed_leaves: {root} is not a folder")
    leaves = size = files = 0
    for folder, dirs, names in os.walk(new_root):
        rel = os.path.relpath(folder, new_root)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "pg_wal"]
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            n, b = new_leaves(os.path.join(old_root, rel, name), path)
            files += 1
            leaves += n
            size += b
    print(f"changed_leaves={leaves} changed_bytes={size} files={files}")


if __name__ == "__main__":
    main()
