"""One measurement each: fio jobs (bench/fuse/*.fio), small files opened and read, `ls -l`,
time to first byte, b2sum, and dropping the page cache.

Every measurement runs in a child process with a time limit, so a stuck file system costs one
figure (CaseFailed), not the run. Needs root for drop_caches. No state between calls.
"""
import json
import os
import select
import subprocess
import time

FIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuse")
PYTHON = "/usr/bin/python3"


class CaseFailed(Exception):
    def __init__(self, message, timed_out_after_s=None):
        super().__init__(message)
        self.timed_out_after_s = timed_out_after_s


def _run(argv, timeout_s, env=None):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"{os.path.basename(argv[0])} took longer than {timeout_s} s", timeout_s) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise CaseFailed(f"{os.path.basename(argv[0])} exited {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def drop_caches():
    """Writes back and drops the page cache, dentries and inodes of the whole machine."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def _fio_reads(job, timeout_s, **variables):
    """Runs bench/fuse/<job> with its ${VARIABLES} set; returns the "read" figures of its group."""
    env = dict(os.environ, **variables)
    out = _run(["fio", "--readonly", "--output-format=json", os.path.join(FIO_DIR, job)], timeout_s, env)
    try:
        return json.loads(out[out.index("{"):])["jobs"][0]["read"]
    except (ValueError, KeyError, IndexError) as e:
        raise CaseFailed(f"fio printed no read figures ({e})") from None


def fio(job, path, timeout_s, runtime_s=None, offset="0", size="100%"):
    """Runs bench/fuse/<job> on one file; returns (MiB/s, IOPS) of its reads."""
    read = _fio_reads(job, timeout_s, FILE=path, RUNTIME=str(runtime_s or 1), OFFSET=offset, SIZE=size)
    if read["io_bytes"] == 0:
        raise CaseFailed(f"fio read nothing from {path}")
    return read["bw_bytes"] / 1048576, read["iops"]


def random_pass(path, jobs, timeout_s):
    """bench/fuse/rand_pass_256k.fio with `jobs` readers; returns the file's MiB over the seconds
    until every reader has read all of it once (each byte counted once, not once per reader)."""
    read = _fio_reads("rand_pass_256k.fio", timeout_s, FILE=path, JOBS=str(jobs))
    size = os.path.getsize(path)
    if read["io_bytes"] < jobs * size or read["runtime"] <= 0:
        raise CaseFailed(f"fio read {read['io_bytes']} of the {jobs} x {size} bytes of {path}")
    return size / 1048576 / (read["runtime"] / 1000)


# Child programs: timed inside, so interpreter start-up is not counted.
_SMALL_FILES = r"""
import os, sys, time
root, budget, limit = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
names = [os.path.join(root, n) for n in sorted(os.listdir(root))][:limit or None]
t = time.perf_counter()
done = 0
for p in names:
    fd = os.open(p, os.O_RDONLY)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)
    done += 1
    if time.perf_counter() - t > budget:
        break
print(done / (time.perf_counter() - t), done)
"""

_TTFB = r"""
import os, statistics, sys, time
lat = []
for p in sys.argv[1:]:
    t = time.perf_counter()
    fd = os.open(p, os.O_RDONLY)
    if len(os.read(fd, 4096)) != 4096:
        sys.exit(f"short first read of {p}")
    lat.append(time.perf_counter() - t)
    os.close(fd)
print(statistics.median(lat) * 1000)
"""

_HOLD_OPEN = r"""
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
files = [open(os.path.join(root, name), "rb") for name in sorted(os.listdir(root))[:n]]
if not all(len(f.read(1)) == 1 for f in files):
    sys.exit("a file read nothing")
print(len(files), flush=True)
sys.stdin.read()  # hold them open until the parent has read the mount's memory
"""


def small_files(folder, budget_s, timeout_s, limit=0):
    """(files per second, files read): open, read to the end and close the files of a folder in
    name order, the first `limit` of them (0: all), stopping early once budget_s has passed."""
    rate, done = _run([PYTHON, "-c", _SMALL_FILES, folder, str(budget_s), str(limit)], timeout_s).split()
    return float(rate), int(done)


def time_to_first_byte(paths, timeout_s):
    """Median milliseconds from open() to the first 4 KiB read back, over files not read before."""
    return float(_run([PYTHON, "-c", _TTFB, *paths], timeout_s))


def ls_l(folder, timeout_s):
    """Seconds that `ls -l` of a folder takes (output discarded)."""
    t = time.perf_counter()
    _run(["ls", "-l", folder], timeout_s)
    return time.perf_counter() - t


def hold_open(folder, count, while_open, timeout_s):
    """Opens `count` files of a folder at once, reads 1 byte of each, calls while_open() while they
    are all open and returns its result."""
    child = subprocess.Popen([PYTHON, "-c", _HOLD_OPEN, folder, str(count)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The child prints once every file is open.
        if not select.select([child.stdout], [], [], timeout_s)[0]:
            raise CaseFailed(f"opening {count} files took longer than {timeout_s} s", timeout_s)
        opened = child.stdout.readline().strip()
        if not opened:
            raise CaseFailed(f"holding {count} files open failed: {child.stderr.read().strip()[-200:]}")
        return while_open()
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def curl_get_ms(urls, user, timeout_s):
    """Median milliseconds of a plain signed GET of each whole object (curl's time_total, one
    process per object, as a tool that fetches a file would), the yardstick of time to first byte."""
    times = []
    for url in urls:
        out = _run(["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{time_total}", "--aws-sigv4",
                    "aws:amz:us-east-1:s3", "--user", user, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url],
                   timeout_s)
        times.append(float(out) * 1000)
    return sorted(times)[len(times) // 2]


def b2sum_mib_per_s(path, timeout_s):
    """Single-core BLAKE2b-512 of a file (b2sum), MiB/s; cold if the caller dropped the cache."""
    size = os.path.getsize(path)
    t = time.perf_counter()
    _run(["b2sum", path], timeout_s)
    return size / 1048576 / (time.perf_counter() - t)
