"""The data every file system serves, and putting it where each one reads it from.

The tree: big.bin (random), small/ (4 KiB random files), many/ (empty files: an `ls -l` case)
and ttfb/ (4 MiB random files, each read once for time to first byte). It is made once per
size set (a stamp file says which) and uploaded as a datamon bundle to a local store (kept
between runs), and to RGW: as plain objects in one bucket for s3fs and rclone, and as a datamon
bundle for our mount. The RGW buckets are named after the tree's fingerprint, and a marker
object (bucket dmbench-seeded) is written once a copy is complete, so a benchmark against an RGW
that still holds the same tree does not copy it again. Errors raise RuntimeError naming the step.
"""
import hashlib
import json
import os
import shutil
import subprocess

MARKER_BUCKET = "dmbench-seeded"
from dataclasses import asdict, dataclass

REPO = "bench"


def rgw_buckets(suffix):
    """(bucket of plain objects, datamon's buckets by role), named after the tree's fingerprint:
    an RGW still up from an earlier run holds either this tree's objects or none."""
    roles = {"config": "cfg", "blob": "blob", "meta": "meta", "vmeta": "vmeta", "wal": "wal", "read-log": "rlog"}
    return f"peers-{suffix}", {role: f"dm{short}-{suffix}" for role, short in roles.items()}


@dataclass(frozen=True)
class Sizes:
    big_mib: int
    small_files: int
    entries: int
    ttfb_files: int
    small_kib: int = 4
    ttfb_mib: int = 4


def _check(argv, what, env=None, timeout_s=3600):
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


def _random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = min(left, 4 << 20)
            f.write(os.urandom(chunk))
            left -= chunk


def make_tree(src, sizes):
    """Writes the tree under src unless it is already there for these sizes."""
    stamp = src + ".json"
    if os.path.exists(stamp) and json.load(open(stamp)) == asdict(sizes):
        return False
    shutil.rmtree(src, ignore_errors=True)
    for sub in ("small", "many", "ttfb"):
        os.makedirs(os.path.join(src, sub))
    _random_file(os.path.join(src, "big.bin"), sizes.big_mib << 20)
    for i in range(sizes.small_files):
        _random_file(os.path.join(src, "small", f"s{i:05d}"), sizes.small_kib << 10)
    for i in range(sizes.entries):
        open(os.path.join(src, "many", f"f{i:06d}"), "wb").close()
    for i in range(sizes.ttfb_files):
        _random_file(os.path.join(src, "ttfb", f"t{i:02d}"), sizes.ttfb_mib << 20)
    json.dump(asdict(sizes), open(stamp, "w"))
    return True


def datamon_env(global_config, extra=None):
    """The environment of a datamon command on one store: no user config file is read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAMON_")}
    env.update({"DATAMON_CONFIG": "/dev/null", "DATAMON_GLOBAL_CONFIG": global_config, "DATAMON_CONTEXT": "bench",
                "DATAMON_NAME": "bench", "DATAMON_EMAIL": "bench@example.com"})
    env.update(extra or {})
    return env


def upload_bundle(datamon, env, src, buckets):
    _check([datamon, "context", "create", "--blob", buckets["blob"], "--meta", buckets["meta"],
            "--vmeta", buckets["vmeta"], "--wal", buckets["wal"], "--read-log", buckets["read-log"]],
           "datamon context create", env)
    _check([datamon, "repo", "create", "--repo", REPO, "--description", "benchmark data"], "datamon repo create", env)
    _check([datamon, "bundle", "upload", "--repo", REPO, "--path", src, "--message", "benchmark data"],
           "datamon bundle upload", env)


def local_store(datamon, work, src, tree_was_made):
    """A file:// store on the local disk holding the tree as the latest bundle of repo `bench`."""
    root = os.path.join(work, "dmstore")
    config = "file://" + os.path.join(root, "config")
    env = datamon_env(config)
    if tree_was_made or not os.path.exists(root + ".ready"):
        shutil.rmtree(root, ignore_errors=True)
        if os.path.exists(root + ".ready"):
            os.remove(root + ".ready")
        upload_bundle(datamon, env, src, {role: role for role in ("blob", "meta", "vmeta", "wal", "read-log")})
        open(root + ".ready", "w").close()
    return env


def rclone_env(endpoint, access_key, secret_key, config_file):
    """rclone's remote `dmrgw:` from the environment alone (the config file stays empty)."""
    # The AWS SDK inside rclone refuses a CA bundle on a plain-http transport; RGW is http.
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update({"RCLONE_CONFIG": config_file, "RCLONE_CONFIG_DMRGW_TYPE": "s3", "RCLONE_CONFIG_DMRGW_PROVIDER": "Ceph",
                "RCLONE_CONFIG_DMRGW_ENDPOINT": endpoint, "RCLONE_CONFIG_DMRGW_ACCESS_KEY_ID": access_key,
                "RCLONE_CONFIG_DMRGW_SECRET_ACCESS_KEY": secret_key})
    if not os.path.exists(config_file):
        open(config_file, "w").close()
    return env


def tree_fingerprint(src):
    """SHA-256 of every file's relative path, size and mtime (ns) under src: the tree is written once
    and never modified, so equal fingerprints mean equal data (a content hash of 1.1 GiB and 110 000
    files would cost more than the copy it saves)."""
    h = hashlib.sha256()
    for folder, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            st = os.lstat(os.path.join(folder, name))
            h.update(f"{os.path.relpath(os.path.join(folder, name), src)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _seeded(rclone_environment, what, fingerprint):
    done = subprocess.run(["rclone", "cat", f"dmrgw:{MARKER_BUCKET}/{what}"], env=rclone_environment,
                          capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and done.stdout.strip() == fingerprint


def _mark_seeded(rclone_environment, what, fingerprint):
    _check(["rclone", "mkdir", f"dmrgw:{MARKER_BUCKET}"], f"rclone mkdir {MARKER_BUCKET}", rclone_environment)
    done = subprocess.run(["rclone", "rcat", "--s3-no-check-bucket", f"dmrgw:{MARKER_BUCKET}/{what}"],
                          input=fingerprint + "\n", env=rclone_environment, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"rclone rcat {MARKER_BUCKET}/{what} failed: {done.stderr.strip()[-300:]}")


def rgw_objects(rclone_environment, src, peer_bucket, fingerprint):
    """Puts the tree as plain objects into the peers' bucket, unless its marker says it is there.
    Returns True if it copied."""
    marker = f"{peer_bucket}.objects"
    if _seeded(rclone_environment, marker, fingerprint):
        print(f"set-up: bucket {peer_bucket} already holds this tree (marker {MARKER_BUCKET}/{marker})", flush=True)
        return False
    _check(["rclone", "mkdir", f"dmrgw:{peer_bucket}"], f"rclone mkdir {peer_bucket}", rclone_environment)
    # No listing of the destination, no existence check, no HEAD after each PUT: a PUT of an
    # object that is there already overwrites it with the same bytes. The small files and the
    # empty entries are latency-bound, so many in flight.
    _check(["rclone", "copy", "--transfers", "128", "--checkers", "128", "--no-traverse", "--no-check-dest",
            "--s3-no-check-bucket", "--s3-no-head", src,
            f"dmrgw:{peer_bucket}"],
           f"rclone copy {src} to bucket {peer_bucket}", rclone_environment)
    _mark_seeded(rclone_environment, marker, fingerprint)
    return True


def rgw_store(datamon, endpoint, access_key, secret_key, src, datamon_buckets, rclone_environment, fingerprint):
    """The tree as the latest bundle of repo `bench` in a datamon context on RGW, uploaded unless
    its marker says it is there."""
    env = datamon_env("s3://" + datamon_buckets["config"],
                      {"DATAMON_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": access_key,
                       "AWS_SECRET_ACCESS_KEY": secret_key})
    marker = f"{datamon_buckets['config']}.bundle"
    if _seeded(rclone_environment, marker, fingerprint):
        print(f"set-up: datamon context on {datamon_buckets['config']} already holds this tree", flush=True)
        return env
    for bucket in datamon_buckets.values():
        _check(["rclone", "mkdir", f"dmrgw:{bucket}"], f"rclone mkdir {bucket}", rclone_environment)
    # A half-made context from an interrupted run (no marker) would refuse `context create`.
    if _check(["rclone", "lsf", "--max-depth", "1", f"dmrgw:{datamon_buckets['config']}"], "rclone lsf",
              rclone_environment).strip():
        for bucket in datamon_buckets.values():
            _check(["rclone", "purge", f"dmrgw:{bucket}"], f"rclone purge {bucket}", rclone_environment)
            _check(["rclone", "mkdir", f"dmrgw:{bucket}"], f"rclone mkdir {bucket}", rclone_environment)
    upload_bundle(datamon, env, src, datamon_buckets)
    _mark_seeded(rclone_environment, marker, fingerprint)
    return env
