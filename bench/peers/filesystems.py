"""The file systems a benchmark run reads the same data through: plain folders (local disk, tmpfs)
and FUSE mounts (datamon on a local store and on RGW, s3fs and rclone on RGW).

start() makes a fresh instance (a new FUSE process with empty caches), stop() ends it; a FUSE
process that does not come up raises RuntimeError with the tail of its log. Not thread-safe:
the benchmark uses one at a time.
"""
import os
import shutil
import signal
import subprocess
import time


def is_mounted(path):
    with open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) > 2 and fields[1] == path and fields[2].startswith("fuse"):
                return True
    return False


def status_kib(pid, key):
    """VmHWM / VmRSS of a process in KiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Folder:
    """A plain folder: nothing to start; cold means only that the page cache was dropped."""

    is_fuse = False

    def __init__(self, name, label, root):
        self.name, self.label, self.root = name, label, root
        self.command = None

    def start(self):
        pass

    def stop(self):
        pass

    def peak_rss_kib(self):
        return None


class FuseMount:
    """A FUSE file system served by one foreground process that this object starts and stops."""

    is_fuse = True

    def __init__(self, name, label, mountpoint, argv, env, log_path, shown_command, cache_dir=None):
        self.name, self.label, self.root = name, label, mountpoint
        self.argv, self.env, self.log_path = argv, env, log_path
        self.cache_dir = cache_dir  # a disk cache of the process, emptied before each start
        self.command = shown_command  # argv as printed in the report: no secrets in it
        self.process = None

    def start(self, timeout_s=120):
        os.makedirs(self.root, exist_ok=True)
        if is_mounted(self.root):  # a mount left behind by an interrupted run
            subprocess.run(["fusermount3", "-u", "-z", self.root], check=False)
        if self.cache_dir:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            os.makedirs(self.cache_dir)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if is_mounted(self.root):
                try:
                    os.listdir(self.root)
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name}: the mount at {self.root} did not come up; log {self.log_path}:\n"
                           + self.log_tail())

    def stop(self, timeout_s=60):
        if self.process is None:
            return
        if is_mounted(self.root):
            subprocess.run(["fusermount3", "-u", self.root], check=False, stderr=subprocess.DEVNULL)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            subprocess.run(["fusermount3", "-u", "-z", self.root], check=False, stderr=subprocess.DEVNULL)
        self.process = None

    def peak_rss_kib(self):
        return status_kib(self.process.pid, "VmHWM") if self.process else None

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return "(no log)"
