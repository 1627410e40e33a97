#!/usr/bin/env python3
"""Page-cache folio census of a file: how much of it the kernel caches in large folios.

Maps the first MiB of the file (default 64) read-only, touches every page so it is mapped,
then looks each page's frame up in /proc/self/pagemap and /proc/kpageflags: a frame flagged
COMPOUND_HEAD (bit 15) starts a large folio, COMPOUND_TAIL (bit 16) is inside one, neither is
an order-0 (4 KiB) folio. Pages already in the page cache are mapped as they are; others are
read in first. Needs root (frame numbers are hidden from others). Prints one line:
  <small> small / <large> large (<tail> tail pages)[, <absent> not present]
Used by bench/fuse_scale.sh to show why a FUSE file's warm re-read trails ext4's.
Usage: folio_census.py FILE [MIB]
"""
import ctypes
import mmap
import os
import struct
import sys

PAGE = mmap.PAGESIZE
PRESENT = 1 << 63
PFN_MASK = (1 << 55) - 1
COMPOUND_HEAD = 1 << 15
COMPOUND_TAIL = 1 << 16


def census(path, mib):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = min(os.fstat(fd).st_size, mib << 20) // PAGE * PAGE
        if size == 0:
            raise SystemExit(f"folio_census: {path} is smaller than a page")
        # A private writable mapping only to get its address through ctypes; nothing is
        # written, so every page stays the page cache's own frame.
        m = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)
    view = ctypes.c_char.from_buffer(m)
    base = ctypes.addressof(view)
    counts = {"small": 0, "large": 0, "tail": 0, "absent": 0}
    try:
        for off in range(0, size, PAGE):
            m[off]  # fault the page in so pagemap has its frame
        with open("/proc/self/pagemap", "rb") as pagemap, open("/proc/kpageflags", "rb") as kpageflags:
            pagemap.seek(base // PAGE * 8)
            entries = struct.unpack(f"{size // PAGE}Q", pagemap.read(size // PAGE * 8))
            for entry in entries:
                pfn = entry & PFN_MASK
                if not entry & PRESENT or pfn == 0:
                    counts["absent"] += 1
                    continue
                kpageflags.seek(pfn * 8)
                (flags,) = struct.unpack("Q", kpageflags.read(8))
                if flags & COMPOUND_HEAD:
                    counts["large"] += 1
                elif flags & COMPOUND_TAIL:
                    counts["tail"] += 1
                else:
                    counts["small"] += 1
    finally:
        del view
        m.close()
    return counts


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: folio_census.py FILE [MIB]")
    if os.geteuid() != 0:
        raise SystemExit("folio_census: needs root to read page frame numbers")
    c = census(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 64)
    line = f"{c['small']} small / {c['large']} large ({c['tail']} tail pages)"
    if c["absent"]:
        line += f", {c['absent']} not present"
    print(line)


if __name__ == "__main__":
    main()
