"""Where datamon's mount loses to a baseline or a peer in a run, and why: the cause of each loss
comes from how the mount works (leaf fetch and verification, FUSE), not from the run's numbers,
so the report can say it next to the figure. A loss with no known cause says so."""

# A loss is a median speed ratio under this (more than 5% slower): smaller gaps are noise here.
LOSS_BELOW = 0.95

_LEAF = ("datamon fetches and BLAKE2b-verifies a whole leaf (up to 2 MiB) before it serves any byte of it: "
         "the hash covers the leaf, so nothing unverified is ever returned")

WHY = {
    ("seq_cold", "physical"): "every byte is fetched from the store, verified (one core hashes about as fast as "
                              "b2sum) and copied through FUSE in 1 MiB requests; a local folder only copies "
                              "pages from disk or RAM. The floor for a verified read is the b2sum target.",
    ("seq_cold", "peer"): _LEAF + "; s3fs and rclone stream the object unverified. Verification costs a core "
                          "per ~1 GB/s.",
    ("seq_warm", "physical"): "warm reads come from the kernel page cache (keep_cache) as a local file's do, but "
                              "this kernel (6.18) keeps a FUSE file's page cache in 4 KiB folios where ext4 uses "
                              "large folios (FUSE large folios landed upstream in 2026), so the same bytes take many "
                              "more page-cache steps; against tmpfs, also 4 KiB pages, the gap is small on an idle "
                              "machine. A gap against tmpfs too means pages were evicted and re-read through FUSE.",
    ("seq_warm", "peer"): "warm reads come from the page cache; a peer that keeps it too is even.",
    ("rand4k_cold", "physical"): _LEAF + ", so a cold 4 KiB read costs a 2 MiB fetch (512x the bytes); the disk "
                                 "reads 4 KiB plus the kernel's readahead.",
    ("rand4k_cold", "peer"): _LEAF + ", so a cold 4 KiB read costs a 2 MiB GET; s3fs and rclone ask RGW for a "
                             "range near the bytes asked and do not verify. The price of verification; bundles "
                             "with a smaller leaf size would pay less.",
    ("rand256k_cold", "physical"): _LEAF + ": a cold 256 KiB read fetches 2 MiB (8x).",
    ("rand256k_cold", "peer"): _LEAF + ": a cold 256 KiB read costs a 2 MiB GET (8x the bytes); the peers fetch "
                               "ranges without verifying them.",
    ("rand256k_cold_4j", "physical"): "the case measures how soon the whole file is in the page cache: every "
                                      "leaf a reader fetches is verified and stored in the page cache whole, so the "
                                      "readers run at memory speed once all leaves are in, and until then wait for "
                                      "2 MiB fetches. A local file is there at once.",
    ("rand256k_cold_4j", "peer"): "the case measures how soon the whole file is in the page cache: the figure is "
                                  "high when the last leaf arrives well inside the 3 s window and low when it "
                                  "arrives near its end (the 1 GiB file takes 2.7-3 s at the ~360 MB/s this RGW "
                                  "serves), so runs are bimodal; a disk cache adds the leaf writes and its "
                                  "background fetch of the whole file, which finish later.",
    ("rand256k_pass", "physical"): _LEAF + "; every leaf crosses the store once and is verified, where a local "
                                   "file is read from disk or RAM.",
    ("rand256k_pass", "peer"): _LEAF + "; every leaf is fetched once and verified, the one read and the two on "
                               "each side of it at a time (the whole file in the background when it fits the "
                               "cache); the peers stream ranges unverified.",
    ("rand256k_pass_4j", "physical"): "four readers fetch the file's leaves from the store, each once, verified; "
                                      "a local file is there at once.",
    ("rand256k_pass_4j", "peer"): _LEAF + "; the 4 readers share one fetch per leaf, and on this 2-core machine "
                                  "RGW and the verification share the CPU; the peers stream ranges unverified.",
    ("rand4k_warm", "physical"): "leaves no longer in the page cache or the 256 MB RAM cache are fetched again; "
                                 "every cached read still crosses FUSE once per page-cache miss.",
    ("rand4k_warm", "peer"): "leaves no longer in the page cache or the 256 MB RAM cache are fetched again.",
    ("rand256k_warm", "physical"): "as for 4 KiB: page-cache misses cross FUSE and may refetch a leaf.",
    ("rand256k_warm", "peer"): "as for 4 KiB: page-cache misses may refetch a leaf.",
    ("small_cold", "physical"): "each file is two objects in the format (its root blob, the list of its leaf "
                                "keys, and its leaf): a never-read file costs two fetches from the store and a "
                                "verification; a local folder reads a disk block.",
    ("small_cold", "peer"): "each file is two objects in the format, its root blob (the list of its leaf keys) "
                            "and its leaf, so two GETs where a peer makes one; the folder prefetch keeps many in "
                            "flight, and RGW on this machine answers about 1 150-1 400 small GETs/s whatever the "
                            "concurrency (curl --parallel 8 to 64), which caps a cold walk near 700 files/s.",
    ("small_warm", "physical"): "opens do not reach the daemon (no-open) and reads come from the page cache; "
                                "the gap is the kernel's FUSE lookup path for entries it dropped.",
    ("small_warm", "peer"): "both are served from the kernel's caches once read; the gap is noise or FUSE lookups.",
    ("ls_cold", "physical"): "the listing and every attribute cross FUSE (READDIRPLUS, then cached forever); "
                             "a local `ls -l` reads the directory from disk.",
    ("ls_cold", "peer"): "the whole index is fetched when the mount starts, so a cold listing is served from "
                         "memory; a loss here deserves a profile.",
    ("ls_warm", "physical"): "entries and attributes are cached by the kernel with infinite timeouts; the gap "
                             "is FUSE's readdir round trips, which the kernel does not cache.",
    ("ls_warm", "peer"): "readdir is answered from memory; the gap is FUSE round trips.",
    ("ttfb", "physical"): _LEAF + ", so the first byte of a file waits until its first leaf (up to 2 MiB) is "
                          "fetched and hashed, while the readahead that starts with it competes for the same cores; "
                          "a local file returns its first 4 KiB page.",
    ("ttfb", "peer"): _LEAF + ", so the first byte waits until its first leaf (up to 2 MiB) is fetched and hashed "
                      "(and the readahead started with it shares the cores), where s3fs and rclone return the first "
                      "bytes of a ranged GET unverified. A file of one small leaf answers far sooner.",
    ("ttfb_alone", "physical"): _LEAF + ", and here nothing was fetched ahead: the first byte waits for one "
                                "ranged GET of the first leaf and its hash; a local file returns its first page.",
    ("ttfb_alone", "peer"): _LEAF + ", and here nothing was fetched ahead: the first byte waits for the first leaf "
                            "(up to 2 MiB) to arrive and be hashed, where s3fs and rclone return the first bytes of a "
                            "ranged GET unverified.",
}


def _kind(baseline):
    return "physical" if baseline in ("local", "tmpfs") else "peer"


def losses(doc):
    """Per case where datamon's median speed ratio is under LOSS_BELOW against something: the
    comparisons it loses and the cause, once for the physical baselines and once for the peers."""
    out = []
    for case in doc["cases"]:
        lost = []
        for pair, ratio in doc["ratios"].get(case["name"], {}).items():
            if ratio is not None and ratio["median"] < LOSS_BELOW:
                candidate, baseline = pair.split("/")
                lost.append({"candidate": candidate, "baseline": baseline, "ratio": ratio["median"],
                             "kind": _kind(baseline)})
        if lost:
            kinds = sorted({x["kind"] for x in lost}, reverse=True)
            out.append({"case": case["name"], "label": case["label"], "lost": lost,
                        "why": {k: WHY.get((case["name"], k), "no known cause: this needs a profile.") for k in kinds}})
    return out
