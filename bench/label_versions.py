#!/usr/bin/env python3
"""`label get --with-versions` against plain `label get` on a versioned RGW bucket, one run.

    [BUILD_DIR=build] [N=50] [RUNS=7] python3 bench/label_versions.py   # the RGW on 127.0.0.1:7480

Makes four fresh buckets (versioning on the vmetadata one), a repo with one bundle, and sets
label "a" N times; then times `label get` (the baseline) and `label get --with-versions` (N
versions: one listing, then one GET per version) in RUNS interleaved pairs and prints the
medians, their ratio and the cost of one more version. Needs boto3 (bucket setup only).
"""
import os
import random
import statistics
import subprocess
import tempfile
import time

import boto3

N = int(os.environ.get("N", "50"))
RUNS = int(os.environ.get("RUNS", "7"))
ENDPOINT = os.environ.get("DM_TEST_S3_ENDPOINT", "http://127.0.0.1:7480")
KEY, SECRET = "TESTKEY", "TESTSECRET"  # the test RGW's keys (tests/stores/backends.h)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dm = os.path.join(root, os.environ.get("BUILD_DIR", "build"), "bin", "datamon")

s3 = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                  region_name="us-east-1")
tag = "lvb%d" % random.randint(0, 10**6)
buckets = {k: f"dmt-{tag}-{k}" for k in ("cfg", "blob", "meta", "vmeta")}
for bucket in buckets.values():
    s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=buckets["vmeta"], VersioningConfiguration={"Status": "Enabled"})

home = tempfile.mkdtemp(prefix="label-versions-")
os.makedirs(os.path.join(home, "src"))
with open(os.path.join(home, "src", "f"), "w") as f:
    f.write("x")
env = dict(os.environ, HOME=home, DATAMON_CONTEXT="bench", DATAMON_GLOBAL_CONFIG="s3://" + buckets["cfg"],
           DATAMON_S3_ENDPOINT=ENDPOINT, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, DATAMON_NAME="Bench",
           DATAMON_EMAIL="bench@example.com", GOOGLE_APPLICATION_CREDENTIALS="", DATAMON_CREDENTIAL="")


def run(*args):
    r = subprocess.run([dm, *args], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"datamon {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r.stdout


run("context", "create", "--blob", buckets["blob"], "--meta", buckets["meta"], "--vmeta", buckets["vmeta"],
    "--wal", "w", "--read-log", "rl")
run("repo", "create", "--repo", "r", "--description", "bench")
bundle = run("bundle", "upload", "--path", os.path.join(home, "src"), "--repo", "r", "--message", "m")
bundle = bundle.split("Uploaded bundle id:")[1].strip()[:27]
for _ in range(N):
    run("label", "set", "--repo", "r", "--label", "a", "--bundle", bundle)

plain, versions = [], []
for _ in range(RUNS):
    t = time.perf_counter()
    run("label", "get", "--repo", "r", "--label", "a")
    plain.append(time.perf_counter() - t)
    t = time.perf_counter()
    out = run("label", "get", "--repo", "r", "--label", "a", "--with-versions")
    versions.append(time.perf_counter() - t)
    if out.count("\n") != N:
        raise SystemExit(f"--with-versions printed {out.count(chr(10))} lines, not {N}")
p, v = statistics.median(plain), statistics.median(versions)
print(f"N={N} versions, median of {RUNS} interleaved runs: label get {p * 1000:.1f} ms, "
      f"--with-versions {v * 1000:.1f} ms, ratio {v / p:.2f}, {(v - p) / N * 1000:.2f} ms per version")
