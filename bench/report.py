#!/usr/bin/python3
"""Writes docs/benchmarks.md from what the benchmarks left in bench/results/: fuse.json (the
mount against local disk, tmpfs, s3fs and rclone), store.json, pg.json, fuse_scale.txt and
core.md; plus the machine's description, the steps that ran with their commands and times, a
table of every target of the mount, store and pg issues (met / not met / not run) and PNG plots
(matplotlib from Debian) under docs/img/. A result file that is missing shows as "not run".

Usage: report.py --results DIR --out FILE --img DIR [--steps TSV] [--command CMD] [--total-seconds N]
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
import cases as fuse_cases  # noqa: E402
import plots  # noqa: E402
import tables  # noqa: E402
from stats import fmt_summary  # noqa: E402


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


# -- the machine --------------------------------------------------------------------------------
def _first(path, prefix):
    try:
        for line in open(path):
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def _sh(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine():
    mem_kib = _first("/proc/meminfo", "MemTotal").split()[0]
    mem = f"{int(mem_kib) / 1048576:.1f} GiB" if mem_kib.isdigit() else "unknown"
    source = _sh(["findmnt", "-no", "SOURCE,FSTYPE", "--target", "/var/tmp"])
    dev = source.split()[0] if source else ""
    disk = _sh(["lsblk", "-dno", "NAME,SIZE,ROTA,MODEL", dev]) if dev.startswith("/dev/") else ""
    if disk:
        parts = disk.split(None, 3)
        kind = "rotational per the kernel" if len(parts) > 2 and parts[2] == "1" else "non-rotational"
        disk = f"{parts[0]}, {parts[1]}, {kind}" + (f", {parts[3]}" if len(parts) > 3 else "")
    return [
        ("CPU", f"{os.cpu_count()} cores, {_first('/proc/cpuinfo', 'model name')}"),
        ("memory", mem),
        ("kernel", f"Linux {platform.release()}"),
        ("system", _first("/etc/os-release", "PRETTY_NAME")),
        ("disk under /var/tmp (local folder, local stores)", f"{source or 'unknown'}" + (f" ({disk})" if disk else "")),
    ]


# -- the targets --------------------------------------------------------------------------------
# (area, target as the issue states it, how to find it in the result file, "threshold" to show)
STORE_TARGETS = [
    ("download of a 1 GiB bundle from RGW: at least 0.9 of curl with the same parallelism", ("s3", "download"), ">= 0.9"),
    ("upload to RGW likewise: at least 0.9 of curl", ("s3", "upload"), ">= 0.9"),
]
PG_TARGETS = [
    ("commit of an unchanged cluster: at most half of pgBackRest's delta incremental", ("commit_unchanged",), "<= 0.5"),
    ("restore into an empty folder: at most 0.7 of pgBackRest's time", ("restore_empty",), "<= 0.7"),
    ("bytes uploaded after the contiguous 1% update: at most 1.2x the new 2 MiB leaves plus one WAL segment",
     ("bytes",), "<= 1.2"),
    ("delta restore after the 1% update: at most a fifth of a full restore", ("restore_delta_vs_full",), "<= 0.2"),
]


def _find(cases, keys):
    for name in cases or {}:
        if all(k in name for k in keys):
            return name
    return None


def _met(value):
    return "not run" if value is None else ("**met**" if value else "**NOT met**")


def store_target_rows(store):
    rows, used = [], set()
    cases = (store or {}).get("cases", {})
    for what, keys, threshold in STORE_TARGETS:
        name = _find(cases, keys)
        if name is None:
            rows.append(["store (issue 3)", what, "not run" if store is None else "not in store.json", "", threshold,
                         "not run", ""])
            continue
        used.add(name)
        c = cases[name]
        rows.append(["store (issue 3)", what, f"`{name}`: {_store_figure(name, c)}", _range(c, "ratio"),
                     f">= {c.get('target', '')}", _met(c.get("met")), _store_why(c)])
    for name, c in cases.items():  # the script's other cases that carry a target (GCS, small GETs)
        if name not in used and c.get("target") is not None:
            rows.append(["store (issue 3)", f"`{name}` (the script's target)", _store_figure(name, c),
                         _range(c, "ratio"), f">= {c['target']}", _met(c.get("met")), _store_why(c)])
    return rows


def _store_why(c):
    if c.get("met") is not False:
        return ""
    return ("ours computes and sends an integrity header with every object (Content-MD5 to S3, crc32c to GCS); "
            "curl sends the bytes as they are (bench/store_results.md)")


def _store_figure(name, c):
    if "small" in name and c.get("ours_ops_per_s") is not None:
        return f"ours {c['ours_ops_per_s']} objects/s, curl {c.get('curl_ops_per_s')} objects/s"
    return f"ours {c.get('ours_MBps')} MiB/s, curl {c.get('curl_MBps')} MiB/s"


def _range(c, key):
    lo, hi = c.get(f"{key}_min"), c.get(f"{key}_max")
    value = c.get(key)
    if value is None:
        return ""
    return f"{value}" + (f" ({lo}-{hi})" if lo is not None and hi is not None and lo != hi else "")


def pg_target_rows(pg):
    rows = []
    cases = (pg or {}).get("cases", {})
    for what, keys, threshold in PG_TARGETS:
        name = _find(cases, keys)
        if name is None:
            rows.append(["pg (issue 9)", what, "not run" if pg is None else "not in pg.json", "", threshold, "not run",
                         ""])
            continue
        c = cases[name]
        if c.get("unit") == "bytes":
            figure = (f"`{name}`: {c['ours_bytes']} B stored ({c.get('leaves_stored')} leaves) vs ideal "
                      f"{c['ideal_bytes']} B = {c['changed_leaves']} changed 2 MiB leaves ({c['changed_bytes']} B, "
                      "counted outside datamon by bench/pg_changed_leaves.py) + 16 MiB WAL segment")
        else:
            figure = (f"`{name}`: {c.get('ours', 'ours')} {c.get('ours_s')} s vs {c.get('peer', 'peer')} "
                      f"{c.get('peer_s')} s")
        ratios = c.get("ratios")
        ratio = f"{c.get('ratio')}" + (f" (per run: {', '.join(str(r) for r in ratios)})" if ratios else "")
        target = f"<= {c['target']}" if c.get("target") is not None else threshold
        why = "" if c.get("met") is not False else "see bench/pg_results.md for the causes found"
        rows.append(["pg (issue 9)", what, figure, ratio, target, _met(c.get("met")), why])
    return rows


def scale_figures(text):
    """What bench/fuse_scale.sh printed about the 1 000 000-entry bundle and 1 000 open files."""
    if not text:
        return {}
    out = {}
    m = re.search(r"(\d+)-entry bundle: ready in ([\d.]+) s", text)
    if m:
        out["entries"], out["ready_s"] = int(m.group(1)), float(m.group(2))
    m = re.search(r"= (\d+) B/entry", text)
    if m:
        out["bytes_per_entry"] = int(m.group(1))
    m = re.search(r"1 000 files.*?peak \(VmHWM\) (\d+) MiB", text)
    if m:
        out["open1000_mib"] = int(m.group(1))
    m = re.search(r"^== (\S+),", text, re.M)
    if m:
        out["kernel"] = m.group(1)
    m = re.search(r"^cold sequential (\S+ \S+): mount ([\d.]+) MiB/s, b2sum cold ([\d.]+) MiB/s, ratio ([\d.]+)",
                  text, re.M)
    if m:
        out["seq_cold"] = {"size": m.group(1), "ours": float(m.group(2)), "base": float(m.group(3)),
                           "ratio": float(m.group(4)), "line": m.group(0)}
    m = re.search(r"^warm re-read (\S+ \S+): +mount ([\d.]+) MiB/s, local page cache ([\d.]+) MiB/s, ratio ([\d.]+)",
                  text, re.M)
    if m:
        out["seq_warm"] = {"size": m.group(1), "ours": float(m.group(2)), "base": float(m.group(3)),
                           "ratio": float(m.group(4)), "line": m.group(0)}
    m = re.search(r"^\s*page-cache folios.*$", text, re.M)
    if m:
        out["folios"] = m.group(0).strip()
    return out


def _fuse_tmpfs_warm(fuse):
    """datamon-local ÷ tmpfs for the warm re-read in fuse_bench.sh's run, as text, or None."""
    r = (fuse or {}).get("ratios", {}).get("seq_warm", {}).get("datamon-local/tmpfs")
    return fmt_summary(r, 2) if r else None


def warm_reread_why(scale, fuse):
    """Why the warm re-read stays under 0.9 of ext4: the cause found, with the run's own figures."""
    kernel = scale.get("kernel", platform.release())
    why = (f"this kernel ({kernel}) keeps a FUSE file's page cache in 4 KiB folios, while ext4 caches the "
           "same file in large folios, so a warm read copies the same bytes with many more page-cache lookups "
           "and per-folio steps; large folios for FUSE landed upstream only in 2026. Against tmpfs (also 4 KiB "
           "pages) the mount reads at 0.75-1.0 of it")
    tmpfs = _fuse_tmpfs_warm(fuse)
    if tmpfs and not fuse.get("quick"):  # a --quick run's 32 MiB re-read is too short to say anything
        why += f" (datamon-local ÷ tmpfs in this bench/fuse_bench.sh run: {tmpfs})"
    why += "."
    if scale.get("folios"):
        why += f" Measured: `{scale['folios']}`."
    return why


# (fuse.json's target case -> fuse_scale.txt's 1 GiB line that replaces it in the targets table)
SCALE_TARGETS = {"seq_cold": ("b2sum", 0.8), "seq_warm": ("local page cache", 0.9)}


def scale_target_row(target, line, note=""):
    base, threshold = SCALE_TARGETS[target["case"]]
    met = line["ratio"] >= threshold
    return ["mount (issue 4)", target["what"] + f" ({line['size']}, bench/fuse_scale.sh)",
            f"datamon-local {line['ours']} vs {base} {line['base']} MiB/s", f"{line['ratio']} (speed ratio)",
            f">= {threshold}", _met(met), note if not met else ""]


def mount_target_rows(fuse, scale_text):
    """Rows of the targets table; the cold and warm sequential targets come from fuse_scale.txt's
    1 GiB lines when it has them (fuse_bench.sh's figures for them then go to quick_target_rows)."""
    rows = []
    s = scale_figures(scale_text)
    targets = fuse["targets"] if fuse else [dict(t, what=t["what"]) for t in fuse_cases.TARGETS]
    for t in targets:
        if t.get("issue", 4) == 4 and t["case"] in SCALE_TARGETS and t["case"] in s:
            why = warm_reread_why(s, fuse) if t["case"] == "seq_warm" else ""
            rows.append(scale_target_row(t, s[t["case"]], why))
        elif fuse:
            row = tables.target_row_fuse(t)
            why = warm_reread_why(s, fuse) if t["case"] == "seq_warm" and t["met"] is False and t.get("issue", 4) == 4 else ""
            rows.append(row + [why])
        else:
            rows.append([f"mount (issue {t.get('issue', 4)})", t["what"], "not run", "", (">= " if t["kind"] == "speed" else "<= ") +
                         str(t["threshold"]), "not run", ""])
    if "ready_s" in s:
        rows.append(["mount (issue 4)", "a bundle of 1 000 000 files mounts in seconds once its index is fetched",
                     f"{s['entries']} entries ready in {s['ready_s']} s", "", "<= 10 s (our reading of \"seconds\")",
                     _met(s["ready_s"] <= 10), ""])
    else:
        rows.append(["mount (issue 4)", "a bundle of 1 000 000 files mounts in seconds", "not run", "", "<= 10 s",
                     "not run", ""])
    if "bytes_per_entry" in s:
        rows.append(["mount (issue 4)", "a few hundred bytes of memory per entry at most",
                     f"{s['bytes_per_entry']} B/entry (RSS when ready / entries)", "",
                     "<= 500 B (our reading of \"a few hundred\")", _met(s["bytes_per_entry"] <= 500), ""])
    else:
        rows.append(["mount (issue 4)", "a few hundred bytes of memory per entry at most", "not run", "", "<= 500 B",
                     "not run", ""])
    memory = []
    if fuse and fuse["values"].get("mem_meta", {}).get("datamon-local"):
        label = next(c["label"] for c in fuse["cases"] if c["name"] == "mem_meta")
        memory.append(f"datamon-local {fmt_summary(fuse['values']['mem_meta']['datamon-local'])} MiB, {label} "
                      "(bench/fuse_bench.sh)")
    if "open1000_mib" in s:
        memory.append(f"{s['open1000_mib']} MiB with 1 000 files of 512 KiB open (bench/fuse_scale.sh)")
    rows.append(["mount (issue 4)", "peak memory with 1 000 files open (a figure, no target)",
                 "; ".join(memory) or "not run", "", "none", "figure", ""])
    return rows


def quick_target_rows(fuse, scale_text):
    """fuse_bench.sh's own figures for the targets that fuse_scale.txt's 1 GiB lines decide."""
    s = scale_figures(scale_text)
    if not fuse:
        return []
    return [tables.target_row_fuse(t) for t in fuse["targets"]
            if t.get("issue", 4) == 4 and t["case"] in SCALE_TARGETS and t["case"] in s]


CORE_WHY = ("datamon is bound by its CPU on the two cores (every byte hashed: about 1.3 s of one core for "
            "this tree at the leaf-hash speed of the core section; two objects created and linked per small "
            "file), `cp` by the disk, whose speed varies several-fold between runs on this machine: the ratio "
            "is lowest in the runs where `cp` is fastest")


def core_target_rows(text):
    """Issue 14's local-store transfer targets, from core.md's table: upload and download at least
    0.8x `cp -r && sync` of the same tree."""
    rows = []
    for case, label in (("datamon bundle upload", "upload"), ("datamon bundle download (verified)", "download")):
        # The ratio column: "median (min-max)" of the runs' ratios, or one figure (--quick, older files).
        m = re.search(r"^\| " + re.escape(case) + r" \| ([0-9.]+) \| [0-9]+ \| ([0-9.]+)( \([0-9.]+-[0-9.]+\))? \|",
                      text or "", re.M)
        base = re.search(r"^\| cp -r && sync \(baseline\) \| ([0-9.]+) \|", text or "", re.M)
        what = f"bundle {label} on a local store vs `cp -r && sync` of the same tree (bench/core_transfer.sh)"
        if not m or not base:
            rows.append(["cold paths (issue 14)", what, "not run", "", ">= 0.8", "not run", ""])
            continue
        ratio = float(m.group(2))
        why = "" if ratio >= 0.8 else CORE_WHY
        rows.append(["cold paths (issue 14)", what, f"{m.group(1)} s vs {base.group(1)} s", f"{ratio}{m.group(3) or ''} (speed ratio)",
                     ">= 0.8", _met(ratio >= 0.8), why])
    return rows


# -- sections -----------------------------------------------------------------------------------
def read_steps(steps_path):
    """[(name, exit code, seconds, command)] of the steps this run made."""
    if not steps_path or not os.path.exists(steps_path):
        return []
    return [tuple(line.rstrip("\n").split("\t", 3)) for line in open(steps_path) if line.strip()]


def missing(step, file, failed):
    if step in failed:
        return f"Failed in this run (exit {failed[step]}), so there are no figures: see its log in the steps above."
    return f"Not run: bench/results/{file} is missing."


def store_section(store, img_dir, out_dir, failed):
    out = ["## Object stores: datamon against curl (bench/store_vs_curl.sh)", ""]
    if store is None:
        return out + [missing("store", "store.json", failed), ""]
    out += [f"{store.get('total_mib')} MiB per transfer case, {store.get('parallel')} in parallel, median of "
            f"{store.get('runs')} run(s) (min-max); {store.get('units', '')}. Load at the end: "
            f"{store.get('load_at_end', 'unknown')}. Analysis: bench/store_results.md.", ""]
    rows = []
    for name, c in store.get("cases", {}).items():
        rows.append([name, f"{c.get('ours_MBps')} ({c.get('ours_MBps_min')}-{c.get('ours_MBps_max')})",
                     f"{c.get('curl_MBps')} ({c.get('curl_MBps_min')}-{c.get('curl_MBps_max')})",
                     f"{c.get('ours_ops_per_s', '')} / {c.get('curl_ops_per_s', '')}", _range(c, "ratio"),
                     f">= {c['target']}" if c.get("target") is not None else "", "figure" if c.get("target") is None else _met(c.get("met"))])
    out += [table(["case", "ours MiB/s", "curl MiB/s", "objects/s ours / curl", "ratio ours ÷ curl", "target", "met"],
                  rows), ""]
    losses = [n for n, c in store.get("cases", {}).items() if c.get("ratio") is not None and c["ratio"] < 0.95]
    if losses:
        out += ["Where datamon is slower than curl: " + ", ".join(f"`{n}`" for n in losses) +
                ". Ours sends an integrity header with every object (Content-MD5 to S3, crc32c to GCS) and "
                "computes it; curl sends the bytes as they are, so curl's figure is the raw-transfer ceiling "
                "(bench/store_vs_curl.sh, head comment).", ""]
    img = plots.pairs_plot(store.get("cases", {}), "ours_MBps", "curl_MBps", "datamon", "curl", "MiB/s",
                           os.path.join(img_dir, "store.png"))
    if img:
        out += [f"![store: datamon and curl]({os.path.relpath(img, out_dir)})", ""]
    return out


def pg_section(pg, img_dir, out_dir, failed):
    out = ["## pg mover: datamon against pgBackRest (bench/pg_vs_pgbackrest.sh)", ""]
    if pg is None:
        return out + [missing("pg", "pg.json", failed), ""]
    out += [f"Command: `{pg.get('command', '')}`. Scale {pg.get('scale')}, {pg.get('runs')} run(s), "
            f"{pg.get('postgres', '')}, {pg.get('pgbackrest', '')}; load at the end {pg.get('load_average_at_end')}. "
            "Times in seconds, median (min-max); ratio = datamon ÷ the other (lower is better). Analysis: "
            "bench/pg_results.md.", ""]
    rows = []
    for name, c in pg.get("cases", {}).items():
        if c.get("unit") == "bytes":
            rows.append([name, c.get("ours", ""), f"{c['ours_bytes']} B", c.get("peer", ""), f"{c['ideal_bytes']} B",
                         f"{c.get('ratio')}", f"<= {c['target']}", _met(c.get("met"))])
            continue
        rows.append([name, c.get("ours", ""), f"{c.get('ours_s')} ({c.get('ours_min_s')}-{c.get('ours_max_s')})",
                     c.get("peer", ""), f"{c.get('peer_s')} ({c.get('peer_min_s')}-{c.get('peer_max_s')})",
                     f"{c.get('ratio')}", "" if c.get("target") is None else f"<= {c['target']}",
                     "figure" if c.get("target") is None else _met(c.get("met"))])
    out += [table(["case", "datamon", "s", "against", "s", "ratio", "target", "met"], rows), ""]
    slower = [n for n, c in pg.get("cases", {}).items()
              if c.get("ratio") is not None and c["ratio"] > 1.05 and "floor" not in n and c.get("unit") != "bytes"]
    if slower:
        out += ["Where datamon is slower than the other: " + ", ".join(f"`{n}`" for n in slower) +
                " (see bench/pg_results.md for the causes found).", ""]
    facts = pg.get("facts")
    if facts:
        out += ["Facts datamon printed (first run):", ""]
        first = min(f["run"] for f in facts)
        out += [f"- {f['step']}: {f['text']}" for f in facts if f["run"] == first] + [""]
    img = plots.pairs_plot(pg.get("cases", {}), "ours_s", "peer_s", "datamon", "pgBackRest / other", "seconds",
                           os.path.join(img_dir, "pg.png"))
    if img:
        out += [f"![pg: datamon and pgBackRest]({os.path.relpath(img, out_dir)})", ""]
    return out


def fuse_section(fuse, img_dir, out_dir, failed):
    if fuse is None:
        return ["## Mount: datamon against local disk, tmpfs, s3fs and rclone (bench/fuse_bench.sh)", "",
                missing("fuse", "fuse.json", failed), ""]
    out = [tables.fuse_markdown(fuse, heading_level=2)]
    for name, path in (("ratios", plots.fuse_ratios(fuse, os.path.join(img_dir, "fuse-ratios.png"))),
                       ("figures", plots.fuse_figures(fuse, os.path.join(img_dir, "fuse-figures.png")))):
        if path:
            out += [f"![mount {name}]({os.path.relpath(path, out_dir)})", ""]
    return out


def text_section(title, text, missing):
    out = [f"## {title}", ""]
    if text is None:
        return out + [missing, ""]
    return out + ["```", text.strip(), "```", ""]


def core_section(text):
    out = ["## Core: upload, download and hashing on the local store (bench/core_transfer.sh)", ""]
    if text is None:
        return out + ["Not run: bench/results/core.md is missing.", ""]
    return out + [re.sub(r"^#+ ", "### ", text.strip(), flags=re.M), ""]


def without_machine_paths(text):
    """The report is read from a clone anywhere: commands and paths are given from the repository root."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return text.replace(root + "/", "").replace(root, ".")


def main():
    p = argparse.ArgumentParser(description="writes docs/benchmarks.md from bench/results/")
    p.add_argument("--results", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--img", required=True)
    p.add_argument("--steps")
    p.add_argument("--command", default="scripts/bench.sh")
    p.add_argument("--total-seconds", type=int)
    p.add_argument("--build-dir", default="build")
    a = p.parse_args()
    os.makedirs(a.img, exist_ok=True)
    out_dir = os.path.dirname(os.path.abspath(a.out))
    fuse = load_json(os.path.join(a.results, "fuse.json"))
    store = load_json(os.path.join(a.results, "store.json"))
    pg = load_json(os.path.join(a.results, "pg.json"))
    scale = read_text(os.path.join(a.results, "fuse_scale.txt"))
    core = read_text(os.path.join(a.results, "core.md"))

    now = datetime.datetime.now(datetime.timezone.utc)
    load = fuse["load_average"]["start"] if fuse else open("/proc/loadavg").read().split()[0]
    busy = float(load.split()[0]) > 0.5 * (os.cpu_count() or 1)
    out = [
        "# Benchmarks",
        "",
        f"Generated by `{a.command}` on {now:%Y-%m-%d %H:%M} UTC"
        + (f"; the run took {a.total_seconds // 60} min {a.total_seconds % 60} s." if a.total_seconds else "."),
        "Every comparison is a ratio of two figures measured back to back in the same run on the same data;",
        "every figure is the median of the runs with min and max. Regenerate with `sudo scripts/bench.sh` (about",
        "35 minutes on an idle 2-core machine) or `ninja -C build bench`; `--quick --results DIR` is a smoke run",
        "of under five minutes whose figures are not the targets' figures.",
        "",
    ]
    if busy:
        out += [f"**The machine was loaded when the mount benchmark started** (load average {load} on "
                f"{os.cpu_count()} cores, left by the steps before it or by other work): absolute figures "
                "are noisy, read the ratios, and re-run on an idle machine before drawing conclusions.", ""]
    out += ["## Machine", "", table(["", ""], machine()), ""]
    steps = read_steps(a.steps)
    failed = {name: rc for name, rc, _, _ in steps if rc != "0"}
    if steps:
        rows = [[n, f"`{cmd}`", "ok" if rc == "0" else f"**failed (exit {rc})**", secs] for n, rc, secs, cmd in steps]
        if a.total_seconds:
            rows.append(["all", f"`{a.command}`", "", str(a.total_seconds)])
        out += ["## Steps of this run", "", table(["step", "command (from the repository root, as root)", "result",
                                                  "seconds"], rows), "",
                "Full output of each step: `<step>.log` in the log folder of scripts/bench.sh (BENCH_LOG_DIR). Steps "
                "not listed kept the results of an earlier run (each section says when it was made).", ""]
    out += ["## Targets", "",
            "Every target of the mount (issue 4), cold paths (issue 14), store (issue 3) and pg (issue 9) issues, "
            "with its figure.", "",
            table(["area", "target", "figure", "ratio", "threshold", "met", "why, where not met"],
                  mount_target_rows(fuse, scale) + core_target_rows(core) + store_target_rows(store)
                  + pg_target_rows(pg)), ""]
    quick_rows = quick_target_rows(fuse, scale)
    if quick_rows:
        out += ["The cold and warm sequential targets above are decided by bench/fuse_scale.sh's 1 GiB file. "
                f"bench/fuse_bench.sh measured the same two on its own {fuse['sizes']['big_mib']} MiB file"
                + (" in a `--quick` smoke run, whose figures are not the targets' figures" if fuse.get("quick") else "")
                + ":", "",
                table(["area", "target", "figure", "ratio", "threshold", "met"], quick_rows), ""]
    bytes_case = (pg or {}).get("cases", {}).get("bytes_1pct")
    if bytes_case:
        out += [f"The pg bytes target, precisely: {bytes_case['definition']}."
                + (f" Source of the figure: {bytes_case['source']}." if bytes_case.get("source") else ""), ""]
    out += fuse_section(fuse, a.img, out_dir, failed)
    out += text_section("Mount at scale: cold read vs b2sum, 1 000 000 entries, 1 000 open files "
                        "(bench/fuse_scale.sh)", scale,
                        "Not run (bench/results/fuse_scale.txt is missing; `--quick` skips it).")
    out += store_section(store, a.img, out_dir, failed)
    out += pg_section(pg, a.img, out_dir, failed)
    out += core_section(core)
    with open(a.out + ".tmp", "w") as f:
        f.write(without_machine_paths("\n".join(out).rstrip() + "\n"))
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
