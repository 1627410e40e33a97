"""What the mount benchmark measures: the cases, the comparisons whose ratios it reports, and
the targets of issues 4 and 14 that its figures decide. Definitions only, no measuring."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    label: str  # {big}, {small}, {entries}, {ttfb_fwd}, {ttfb_rev}... are filled in from the sizes
    unit: str
    higher_is_better: bool
    fuse_only: bool = False


CASES = [
    Case("seq_cold", "sequential read of a {big} file, cold", "MiB/s", True),
    Case("seq_warm", "sequential re-read of the {big} file, warm", "MiB/s", True),
    Case("rand4k_cold", "4 KiB random reads, cold (first half of the file)", "IOPS", True),
    Case("rand256k_cold", "256 KiB random reads, cold (second half)", "MiB/s", True),
    Case("rand256k_cold_4j", "256 KiB random reads by 4 concurrent readers, cold (whole file)", "MiB/s", True),
    Case("rand256k_pass", "one reader reads every 256 KiB block of the {big} file once, in random order, cold "
         "(file MiB over the seconds until done)", "MiB/s", True),
    Case("rand256k_pass_4j", "4 readers each read every 256 KiB block of the {big} file once, in random order, "
         "cold (file MiB over the seconds until all are done)", "MiB/s", True),
    Case("rand4k_warm", "4 KiB random reads, warm (whole file read before)", "IOPS", True),
    Case("rand256k_warm", "256 KiB random reads, warm", "MiB/s", True),
    Case("small_cold", "{small} files of 4 KiB opened and read, cold", "files/s", True),
    Case("small_warm", "{small} files of 4 KiB opened and read, warm", "files/s", True),
    Case("ls_cold", "`ls -l` of {entries} entries, cold", "s", False),
    Case("ls_warm", "`ls -l` of {entries} entries, warm", "s", False),
    Case("ttfb", "time to first byte: open + first 4 KiB of a 4 MiB file never read, files read in listing "
         "order (median of {ttfb_fwd})", "ms", False),
    Case("ttfb_alone", "time to first byte with nothing fetched ahead: files read in reverse listing order, so no "
         "folder prefetch covers the next one (median of {ttfb_rev})", "ms", False),
    Case("mem_meta", "peak RSS: ls, small files, cold random reads, {hold} files held open", "MiB", False, True),
    Case("mem_big", "peak RSS: the {big} file read twice and randomly", "MiB", False, True),
]

# (candidate, baseline): each ratio is the candidate's speed over the baseline's, in one run.
COMPARISONS = [
    ("datamon-local", "local"),
    ("datamon-local", "tmpfs"),
    ("datamon-rgw", "s3fs"),
    ("datamon-rgw", "rclone"),
    ("datamon-rgw-disk", "s3fs"),
    ("datamon-rgw-disk", "rclone"),
]

# The targets (issue 4, then issue 14). kind "speed": the speed ratio candidate/baseline must reach `threshold`;
# "time": the candidate's time over the baseline's must stay at or under it.
TARGETS = [
    {"what": "cold sequential read, store on local disk, vs single-core b2sum of the same file read cold",
     "candidate": "datamon-local", "case": "seq_cold", "baseline": "b2sum_cold", "kind": "speed", "threshold": 0.8},
    {"what": "warm re-read vs the local page-cache read", "candidate": "datamon-local", "case": "seq_warm",
     "baseline": "local", "kind": "speed", "threshold": 0.9},
    {"what": "warm small-file open+read vs local", "candidate": "datamon-local", "case": "small_warm",
     "baseline": "local", "kind": "speed", "threshold": 0.75},
    {"what": "cold `ls -l` of the big folder: time within 2x of local", "candidate": "datamon-local",
     "case": "ls_cold", "baseline": "local", "kind": "time", "threshold": 2.0},
    # Issue 14's targets, on RGW against the peers on the same objects.
    {"issue": 14, "what": "cold small files, at least 5x s3fs", "candidate": "datamon-rgw", "case": "small_cold",
     "baseline": "s3fs", "kind": "speed", "threshold": 5.0},
    {"issue": 14, "what": "256 KiB random reads, cold, at least 1.0x s3fs", "candidate": "datamon-rgw",
     "case": "rand256k_cold", "baseline": "s3fs", "kind": "speed", "threshold": 1.0},
    {"issue": 14, "what": "4 KiB random reads, cold, at least 0.5x s3fs (same 3 s window)", "candidate": "datamon-rgw",
     "case": "rand4k_cold", "baseline": "s3fs", "kind": "speed", "threshold": 0.5},
    {"issue": 14, "what": "4 concurrent random readers, cold, at least 1.0x s3fs", "candidate": "datamon-rgw",
     "case": "rand256k_cold_4j", "baseline": "s3fs", "kind": "speed", "threshold": 1.0},
    {"issue": 14, "what": "time to first byte no worse than s3fs", "candidate": "datamon-rgw", "case": "ttfb",
     "baseline": "s3fs", "kind": "time", "threshold": 1.0},
    {"issue": 14, "what": "time to first byte no worse than rclone", "candidate": "datamon-rgw", "case": "ttfb",
     "baseline": "rclone", "kind": "time", "threshold": 1.0},
    {"issue": 14, "what": "time to first byte at most 2x a plain curl GET of the same object (whole 4 MiB "
     "object, curl's time_total)", "candidate": "datamon-rgw", "case": "ttfb", "baseline": "curl_get",
     "kind": "time", "threshold": 2.0},
    {"issue": 14, "what": "time to first byte, nothing fetched ahead, no worse than s3fs", "candidate": "datamon-rgw",
     "case": "ttfb_alone", "baseline": "s3fs", "kind": "time", "threshold": 1.0},
    {"issue": 14, "what": "time to first byte, nothing fetched ahead, no worse than rclone",
     "candidate": "datamon-rgw", "case": "ttfb_alone", "baseline": "rclone", "kind": "time", "threshold": 1.0},
    {"issue": 14, "what": "warm re-read vs tmpfs (both keep 4 KiB pages on this kernel)", "candidate": "datamon-local",
     "case": "seq_warm", "baseline": "tmpfs", "kind": "speed", "threshold": 0.9},
]


def ttfb_split(files):
    """How many of the ttfb files each first-byte case reads: the first part in listing order
    (`ttfb`, where folder prefetch may have fetched a file before it is opened), the rest in
    reverse order first (`ttfb_alone`, a cold first byte that nothing fetched ahead)."""
    reverse = files // 2 if files > 1 else 0
    return files - reverse, reverse


def label(case, sizes):
    big = f"{sizes.big_mib // 1024} GiB" if sizes.big_mib % 1024 == 0 else f"{sizes.big_mib} MiB"
    forward, reverse = ttfb_split(sizes.ttfb_files)
    return case.label.format(big=big, small=f"{sizes.small_files:,}".replace(",", " "),
                             entries=f"{sizes.entries:,}".replace(",", " "), ttfb_fwd=forward, ttfb_rev=reverse,
                             hold=f"{min(1000, sizes.small_files):,}".replace(",", " "))
