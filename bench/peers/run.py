#!/usr/bin/python3
"""Mount benchmark (issue 6): datamon's FUSE mount against a plain local folder and tmpfs (the
physical baseline), and against s3fs and `rclone mount` reading the same objects from the same
Ceph RGW, with our mount reading its bundle from that RGW too.

Every run measures every file system back to back on the same data; each figure is the median
of the runs with min and max, each ratio the median of per-run ratios. Writes OUT/fuse.json and
prints the tables. Run by bench/fuse_bench.sh (root, RGW up); not a test.
"""
import argparse
import dataclasses
import datetime
import json
import os
import shlex
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402
import dataset  # noqa: E402
import explain  # noqa: E402
import measure as M  # noqa: E402
import stats  # noqa: E402
import tables  # noqa: E402
from filesystems import Folder, FuseMount  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datamon", required=True, help="the datamon binary")
    p.add_argument("--work", required=True, help="scratch folder (the data is kept there between runs)")
    p.add_argument("--out", required=True, help="folder for fuse.json")
    p.add_argument("--endpoint", required=True, help="RGW's S3 endpoint, http://127.0.0.1:PORT")
    p.add_argument("--quick", action="store_true", help="small data, one run")
    p.add_argument("--runs", type=int, default=None, help="runs (default 3, --quick 1)")
    p.add_argument("--command", default="", help="the command line to show in the results")
    p.add_argument("--cases", default="", help="comma-separated case names to measure (default: all); a session "
                   "none of whose cases is named is skipped")
    p.add_argument("--only", default="", help="comma-separated file systems to measure (default: all)")
    return p.parse_args()


def _env_int(name, default):
    """A size or count from the environment (DM_FUSE_*), so a full-size code path can be tried on
    small data; a value that is not a positive integer is an error naming the variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) <= 0:
        sys.exit(f"fuse bench: {name}={value!r} is not a positive integer")
    return int(value)


def sizes_for(quick):
    """(sizes, seconds each fio random case runs); DM_FUSE_BIG_MIB, DM_FUSE_SMALL_FILES,
    DM_FUSE_ENTRIES, DM_FUSE_TTFB_FILES, DM_FUSE_RAND_S override the defaults of the mode."""
    if quick:  # a smoke run: every case once on little data, not the targets' figures
        big, small, entries, ttfb, rand_s = 32, 200, 1000, 3, 1
    else:
        big, small, entries, ttfb, rand_s = 1024, 10000, 100000, 10, 3
    sizes = dataset.Sizes(big_mib=_env_int("DM_FUSE_BIG_MIB", big), small_files=_env_int("DM_FUSE_SMALL_FILES", small),
                          entries=_env_int("DM_FUSE_ENTRIES", entries), ttfb_files=_env_int("DM_FUSE_TTFB_FILES", ttfb))
    return sizes, _env_int("DM_FUSE_RAND_S", rand_s)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes, self.rand_runtime_s = sizes_for(args.quick)
        self.runs = args.runs or (1 if args.quick else 3)
        # Every case of every file system stops after this; a peer that needs longer has lost the
        # case (shown as "> T s (timed out)") and is not tried again in the later runs.
        self.timeout_s = _env_int("DM_FUSE_CASE_TIMEOUT_S", 30 if args.quick else 60)
        self.small_budget_s = _env_int("DM_FUSE_SMALL_BUDGET_S", 5 if args.quick else 15)
        self.phases_s = []  # (phase, seconds), in order, printed as they end and kept in fuse.json
        # One folder per size set: the quick and the full data (and their stores) are both kept,
        # so switching between the modes does not rebuild 1.1 GiB and 110 000 files.
        s = self.sizes
        self.work = os.path.join(os.path.abspath(args.work),
                                 f"data-{s.big_mib}m-{s.small_files}s-{s.entries}e-{s.ttfb_files}t")
        self.src = os.path.join(self.work, "src")
        self.values = {}  # case -> candidate -> [figure per run]
        self.b2sum = {"cold": [], "warm": []}
        self.curl_get = []  # per run: median ms of a whole-object GET of the ttfb files (the yardstick)
        self.errors = []
        self.timeouts = {}  # case -> candidate -> seconds after which a run was stopped
        self.setup_s = {}

    # -- set-up ---------------------------------------------------------------------------------
    def timed_step(self, name, fn):
        t = time.perf_counter()
        result = fn()
        self.setup_s[name] = round(time.perf_counter() - t, 1)
        print(f"set-up: {name} {self.setup_s[name]} s", flush=True)
        return result

    def prepare(self):
        os.makedirs(self.work, exist_ok=True)
        made = self.timed_step("tree", lambda: dataset.make_tree(self.src, self.sizes))
        local_env = self.timed_step("datamon upload to the local store",
                                    lambda: dataset.local_store(self.args.datamon, self.work, self.src, made))
        key, secret = os.environ.get("RGW_ACCESS_KEY", "TESTKEY"), os.environ.get("RGW_SECRET_KEY", "TESTSECRET")
        rclone_env = dataset.rclone_env(self.args.endpoint, key, secret, os.path.join(self.work, "rclone.conf"))
        fingerprint = self.timed_step("tree fingerprint", lambda: dataset.tree_fingerprint(self.src))
        self.peer_bucket, dm_buckets = dataset.rgw_buckets(fingerprint[:16])
        self.timed_step("plain objects on RGW for s3fs and rclone (rclone copy, skipped if seeded)",
                        lambda: dataset.rgw_objects(rclone_env, self.src, self.peer_bucket, fingerprint))
        rgw_env = self.timed_step("datamon upload to RGW (skipped if seeded)", lambda: dataset.rgw_store(
            self.args.datamon, self.args.endpoint, key, secret, self.src, dm_buckets, rclone_env, fingerprint))
        self.dm_config_bucket = dm_buckets["config"]
        self.tmpfs = os.path.join(self.work, "tmpfs")
        self.timed_step("copy to tmpfs", self.fill_tmpfs)
        passwd = os.path.join(self.work, "s3fs.passwd")
        old = os.umask(0o077)
        with open(passwd, "w") as f:
            f.write(f"{key}:{secret}\n")
        os.umask(old)
        os.chmod(passwd, 0o600)
        self.candidates = self.make_candidates(local_env, rgw_env, rclone_env, passwd)

    def fill_tmpfs(self):
        os.makedirs(self.tmpfs, exist_ok=True)
        subprocess.run(["umount", self.tmpfs], stderr=subprocess.DEVNULL, check=False)
        mib = self.sizes.big_mib + self.sizes.ttfb_files * self.sizes.ttfb_mib + self.sizes.small_files // 50 + 300
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", self.tmpfs], check=True)
        subprocess.run(["cp", "-a", self.src + "/.", self.tmpfs], check=True)

    def make_candidates(self, local_env, rgw_env, rclone_env, passwd):
        mnt = os.path.join(self.work, "mnt")
        logs = os.path.join(self.work, "logs")
        os.makedirs(logs, exist_ok=True)
        dm = self.args.datamon

        def datamon(name, label, env, store, disk_cache=None):
            point = os.path.join(mnt, name)
            argv = [dm, "bundle", "mount", "--repo", dataset.REPO, "--mount", point]
            # WORK for the work folder: the report names no path of the machine it ran on.
            shown_store = store.replace(self.work, "WORK")
            shown = f"DATAMON_GLOBAL_CONFIG={shown_store} datamon bundle mount --repo {dataset.REPO} --mount MNT"
            if disk_cache:  # emptied before each session, as rclone's
                argv += ["--disk-cache", disk_cache]
                shown += " --disk-cache CACHE_DIR"
            return FuseMount(name, label, point, argv, env, os.path.join(logs, name + ".log"), shown,
                             cache_dir=disk_cache)

        s3fs_opts = (f"ro,url={self.args.endpoint},use_path_request_style,passwd_file={passwd},kernel_cache,"
                     f"max_stat_cache_size={self.sizes.entries + self.sizes.small_files + 1000}")
        rclone_cache = os.path.join(self.work, "rclone-cache")
        rclone_flags = ["--read-only", "--use-server-modtime", "--dir-cache-time", "1h", "--attr-timeout", "1h",
                        "--vfs-cache-mode", "full", "--cache-dir", rclone_cache]
        point = {n: os.path.join(mnt, n) for n in ("s3fs", "rclone")}
        return [
            Folder("local", "local folder (ext4 on the VM disk)", self.src),
            Folder("tmpfs", "tmpfs", self.tmpfs),
            datamon("datamon-local", "datamon mount, store on the local disk", local_env,
                    "file://" + os.path.join(self.work, "dmstore", "config")),
            datamon("datamon-rgw", "datamon mount, store on RGW", rgw_env, f"s3://{self.dm_config_bucket}"),
            datamon("datamon-rgw-disk", "datamon mount, store on RGW, with a disk cache (as rclone's)", rgw_env,
                    f"s3://{self.dm_config_bucket}", os.path.join(self.work, "datamon-disk-cache")),
            FuseMount("s3fs", "s3fs on RGW", point["s3fs"],
                      ["s3fs", self.peer_bucket, point["s3fs"], "-f", "-o", s3fs_opts], os.environ.copy(),
                      os.path.join(logs, "s3fs.log"),
                      f"s3fs BUCKET MNT -f -o {s3fs_opts.replace(passwd, 'PASSWD_FILE')}"),
            FuseMount("rclone", "rclone mount on RGW", point["rclone"],
                      ["rclone", "mount", f"dmrgw:{self.peer_bucket}", point["rclone"], *rclone_flags], rclone_env,
                      os.path.join(logs, "rclone.log"),
                      "rclone mount dmrgw:BUCKET MNT "
                      f"{shlex.join(rclone_flags).replace(rclone_cache, 'CACHE_DIR')}", cache_dir=rclone_cache),
        ]

    # -- measuring ------------------------------------------------------------------------------
    def record(self, run, fs, case, fn):
        earlier = self.timeouts.get(case, {}).get(fs.name)
        if earlier:  # lost already: trying again would only cost another timeout
            self.values.setdefault(case, {}).setdefault(fs.name, [None] * self.runs)[run - 1] = None
            print(f"run {run} {fs.name:14} {case:14} skipped (> {earlier} s in an earlier run)", flush=True)
            return
        try:
            value = fn()
        except M.CaseFailed as e:
            value = None
            self.errors.append(f"run {run} {fs.name} {case}: {e}")
            if e.timed_out_after_s:
                self.timeouts.setdefault(case, {})[fs.name] = e.timed_out_after_s
        self.values.setdefault(case, {}).setdefault(fs.name, [None] * self.runs)[run - 1] = value
        shown = "failed" if value is None else stats.fmt(value)
        print(f"run {run} {fs.name:14} {case:14} {shown}", flush=True)

    def fail_all(self, run, fs, names, error):
        self.errors.append(f"run {run} {fs.name}: {error}")
        for case in names:
            self.values.setdefault(case, {}).setdefault(fs.name, [None] * self.runs)[run - 1] = None

    def phase(self, name, fn):
        t = time.perf_counter()
        try:
            return fn()
        finally:
            secs = round(time.perf_counter() - t, 1)
            self.phases_s.append((name, secs))
            print(f"phase: {name} {secs} s", flush=True)

    def session(self, run, fs, steps, what):
        """A fresh instance of fs with the page cache dropped, then the steps in order."""
        self.phase(f"run {run} {fs.name} {what}", lambda: self._session(run, fs, steps))

    def _session(self, run, fs, steps):
        if self.args.cases:
            wanted = set(self.args.cases.split(","))
            steps = [(name, fn) for name, fn in steps if name in wanted]
            if not steps:
                return
        try:
            fs.start()
        except RuntimeError as e:
            self.fail_all(run, fs, [name for name, _ in steps], str(e).splitlines()[0])
            print(e, flush=True)
            return
        try:
            M.drop_caches()
            for name, fn in steps:
                self.record(run, fs, name, fn)
        finally:
            fs.stop()

    def metadata_session(self, run, fs):
        t, root, s = self.timeout_s, fs.root, self.sizes
        big = os.path.join(root, "big.bin")
        ttfb = [os.path.join(root, "ttfb", f"t{i:02d}") for i in range(s.ttfb_files)]
        hold = min(1000, s.small_files)
        read_cold = [0]

        def small(limit):
            """The warm pass reads the files that the cold pass read within its time budget."""
            rate, read_cold[0] = M.small_files(os.path.join(root, "small"), self.small_budget_s, t, limit)
            return rate

        forward, _ = C.ttfb_split(len(ttfb))
        # Reverse order first: the file after each one read is already read, so folder prefetch
        # never fetches the next file before it is opened (a cold first byte on its own).
        steps = [("ttfb_alone", lambda: M.time_to_first_byte(list(reversed(ttfb[forward:])), t))]
        if forward == len(ttfb):
            steps = []  # one file: the listing-order case only
        steps += [
            ("ttfb", lambda: M.time_to_first_byte(ttfb[:forward], t)),
            ("ls_cold", lambda: M.ls_l(os.path.join(root, "many"), t)),
            ("ls_warm", lambda: M.ls_l(os.path.join(root, "many"), t)),
            ("small_cold", lambda: small(0)),
            ("small_warm", lambda: small(read_cold[0])),
            ("rand4k_cold", lambda: M.fio("rand_read_4k.fio", big, t, self.rand_runtime_s, "0", "50%")[1]),
            ("rand256k_cold", lambda: M.fio("rand_read_256k.fio", big, t, self.rand_runtime_s, "50%", "50%")[0]),
        ]
        if fs.is_fuse:
            steps.append(("mem_meta", lambda: M.hold_open(os.path.join(root, "small"), hold,
                                                          lambda: fs.peak_rss_kib() / 1024, t)))
        self.session(run, fs, steps, "metadata session (ttfb, ls, small files, cold random)")

    def big_file_session(self, run, fs):
        t, big = self.timeout_s, os.path.join(fs.root, "big.bin")
        steps = [
            ("seq_cold", lambda: M.fio("seq_read.fio", big, t)[0]),
            ("seq_warm", lambda: M.fio("seq_read.fio", big, t)[0]),
            ("rand4k_warm", lambda: M.fio("rand_read_4k.fio", big, t, self.rand_runtime_s)[1]),
            ("rand256k_warm", lambda: M.fio("rand_read_256k.fio", big, t, self.rand_runtime_s)[0]),
        ]
        if fs.is_fuse:
            steps.append(("mem_big", lambda: fs.peak_rss_kib() / 1024))
        self.session(run, fs, steps, "big-file session (sequential, warm random)")

    def concurrent_session(self, run, fs):
        """4 readers at random 256 KiB offsets of the whole big file at once, on a fresh mount."""
        t, big = self.timeout_s, os.path.join(fs.root, "big.bin")
        steps = [("rand256k_cold_4j", lambda: M.fio("rand_read_256k_4j.fio", big, t, self.rand_runtime_s)[0])]
        self.session(run, fs, steps, "concurrent random session (4 readers, cold)")

    def random_pass_sessions(self, run, fs):
        """The random cases without a time window: how long until the whole big file has been read
        at random, by one reader, then (on another fresh mount) by 4. A 3 s window measures whether
        the last leaf lands before its end, which makes those cases bimodal; these do not."""
        t, big = self.timeout_s, os.path.join(fs.root, "big.bin")
        self.session(run, fs, [("rand256k_pass", lambda: M.random_pass(big, 1, t))], "random pass (1 reader, cold)")
        self.session(run, fs, [("rand256k_pass_4j", lambda: M.random_pass(big, 4, t))],
                     "random pass (4 readers, cold)")

    def b2sum_run(self, run):
        big = os.path.join(self.src, "big.bin")
        for kind in ("cold", "warm"):
            if kind == "cold":
                M.drop_caches()
            try:
                value = M.b2sum_mib_per_s(big, self.timeout_s)
            except M.CaseFailed as e:
                value = None
                self.errors.append(f"run {run} b2sum {kind}: {e}")
            self.b2sum[kind].append(value)
            print(f"run {run} {'b2sum':14} {kind:14} {stats.fmt(value)}", flush=True)

    def curl_get_run(self, run):
        key, secret = os.environ.get("RGW_ACCESS_KEY", "TESTKEY"), os.environ.get("RGW_SECRET_KEY", "TESTSECRET")
        urls = [f"{self.args.endpoint}/{self.peer_bucket}/ttfb/t{i:02d}" for i in range(self.sizes.ttfb_files)]
        try:
            value = M.curl_get_ms(urls, f"{key}:{secret}", self.timeout_s)
        except M.CaseFailed as e:
            value = None
            self.errors.append(f"run {run} curl GET: {e}")
        self.curl_get.append(value)
        print(f"run {run} {'curl GET':14} {'ttfb objects':14} {stats.fmt(value)}", flush=True)

    def measure(self):
        for run in range(1, self.runs + 1):
            print(f"== run {run} of {self.runs}, load {loadavg()}", flush=True)
            self.phase(f"run {run} b2sum", lambda: self.b2sum_run(run))
            self.phase(f"run {run} curl GET", lambda: self.curl_get_run(run))
            for fs in self.candidates:
                if self.args.only and fs.name not in self.args.only.split(","):
                    continue
                self.metadata_session(run, fs)
                self.big_file_session(run, fs)
                self.concurrent_session(run, fs)
                self.random_pass_sessions(run, fs)

    # -- results --------------------------------------------------------------------------------
    def figure_runs(self, who, case):
        if who.startswith("b2sum_"):
            return self.b2sum[who[len("b2sum_"):]]
        if who == "curl_get":
            return self.curl_get
        return self.values.get(case, {}).get(who, [None] * self.runs)

    def targets(self):
        out = []
        for t in C.TARGETS:
            case = next(c for c in C.CASES if c.name == t["case"])
            ours = self.figure_runs(t["candidate"], t["case"])
            base = self.figure_runs(t["baseline"], t["case"])
            if t["kind"] == "speed":
                per_run = stats.run_ratios(ours, base, case.higher_is_better)
            else:  # candidate time over baseline time
                per_run = [o / b if o and b else None for o, b in zip(ours, base)]
            ratio = stats.summary(per_run)
            met = None
            if ratio is not None:
                met = ratio["median"] >= t["threshold"] if t["kind"] == "speed" else ratio["median"] <= t["threshold"]
            out.append({"issue": t.get("issue", 4), "what": t["what"], "candidate": t["candidate"], "baseline": t["baseline"],
                        "case": t["case"], "unit": case.unit, "ours": stats.summary(ours),
                        "base": stats.summary(base), "ratio": ratio,
                        "ratio_kind": "speed ratio" if t["kind"] == "speed" else "time ratio",
                        "target": (">= " if t["kind"] == "speed" else "<= ") + str(t["threshold"]), "met": met})
        return out

    def peer_timeouts(self):
        """case -> "candidate/baseline" -> seconds, where the baseline (a peer) timed out and the
        candidate did not: a loss for the peer, which no ratio can express."""
        out = {}
        for case in (c for c in C.CASES if not c.fuse_only):
            for cand, base in C.COMPARISONS:
                t = self.timeouts.get(case.name, {}).get(base)
                if t and not self.timeouts.get(case.name, {}).get(cand):
                    out.setdefault(case.name, {})[f"{cand}/{base}"] = t
        return out

    def document(self, started, elapsed_s, load_start):
        ratios = {}
        for case in (c for c in C.CASES if not c.fuse_only):
            for cand, base in C.COMPARISONS:
                per_run = stats.run_ratios(self.figure_runs(cand, case.name), self.figure_runs(base, case.name),
                                           case.higher_is_better)
                ratios.setdefault(case.name, {})[f"{cand}/{base}"] = stats.summary(per_run)
        doc = {
            "benchmark": "fuse", "schema": 1, "command": self.args.command, "date": started,
            "quick": self.args.quick, "runs": self.runs, "rand_runtime_s": self.rand_runtime_s,
            "sizes": dataclasses.asdict(self.sizes), "load_average": {"start": load_start, "end": loadavg()},
            "elapsed_s": round(elapsed_s), "setup_s": self.setup_s,
            "candidates": [{"name": f.name, "label": f.label, "fuse": f.is_fuse, "command": f.command}
                           for f in self.candidates],
            "cases": [{"name": c.name, "label": C.label(c, self.sizes), "unit": c.unit,
                       "higher_is_better": c.higher_is_better} for c in C.CASES],
            "values": {case: {cand: stats.summary(v) for cand, v in per.items()} for case, per in self.values.items()},
            "b2sum": {k: stats.summary(v) for k, v in self.b2sum.items()},
            "curl_get_ms": stats.summary(self.curl_get),
            "comparisons": [f"{a}/{b}" for a, b in C.COMPARISONS],
            "ratios": ratios, "targets": self.targets(), "errors": self.errors, "timeouts": self.timeouts,
            "small_budget_s": self.small_budget_s, "case_timeout_s": self.timeout_s,
            "peer_timeouts": self.peer_timeouts(), "phases_s": self.phases_s,
        }
        doc["losses"] = explain.losses(doc)
        return doc


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("fuse bench: run as root (drop_caches, mount)")
    bench = Bench(args)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    load_start, t0 = loadavg(), time.perf_counter()
    try:
        bench.phase("set-up", bench.prepare)
        bench.measure()
    finally:
        if getattr(bench, "tmpfs", None):
            subprocess.run(["umount", bench.tmpfs], stderr=subprocess.DEVNULL, check=False)
    doc = bench.document(started, time.perf_counter() - t0, load_start)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "fuse.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(tables.fuse_markdown(doc, heading_level=2))
    print("phases (seconds): " + "; ".join(f"{name} {secs}" for name, secs in bench.phases_s))
    print(f"wrote {path} in {doc['elapsed_s']} s")


if __name__ == "__main__":
    main()
