"""Markdown tables of the mount benchmark's fuse.json, shared by the benchmark's own output and
docs/benchmarks.md (bench/report.py). Pure functions of the document."""
from stats import fmt, fmt_summary


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _names(doc):
    return {c["name"]: c["label"] for c in doc["candidates"]}


def _cell(doc, case, cand):
    per = doc["values"].get(case, {})
    if cand not in per:
        return "—"
    timeout = doc.get("timeouts", {}).get(case, {}).get(cand)
    if per[cand] is None and timeout:
        return f"> {timeout} s (timed out)"
    text = fmt_summary(per[cand])
    if timeout:
        text += f" (another run: > {timeout} s, timed out)"
    return text


def figures_table(doc):
    cands = [c["name"] for c in doc["candidates"]]
    rows = []
    for case in doc["cases"]:
        unit = case["unit"] + (" (lower is better)" if not case["higher_is_better"] else "")
        rows.append([case["label"], unit] + [_cell(doc, case["name"], c) for c in cands])
    return _table(["case", "unit"] + [f"`{c}`" for c in cands], rows)


def ratios_table(doc):
    pairs = doc["comparisons"]
    rows = []
    for case in doc["cases"]:
        per = doc["ratios"].get(case["name"])
        if per is None:
            continue
        lost = doc.get("peer_timeouts", {}).get(case["name"], {})
        rows.append([case["label"]] + [f"peer lost: > {lost[p]} s (timed out)" if p in lost and per.get(p) is None
                                       else fmt_summary(per.get(p), 2) for p in pairs])
    return _table(["case"] + [f"`{p.replace('/', ' ÷ ')}`" for p in pairs], rows)


def target_row_fuse(t):
    def figure(s):
        return fmt_summary(s) if s else "not run"
    base = {"curl_get": "curl GET"}.get(t["baseline"], "b2sum" if t["baseline"].startswith("b2sum") else t["baseline"])
    shown = f"{t['candidate']} {figure(t['ours'])} vs {base} {figure(t['base'])} {t['unit']}"
    met = "not run" if t["met"] is None else ("**met**" if t["met"] else "**NOT met**")
    ratio = fmt_summary(t["ratio"], 2) if t["ratio"] else "not run"
    return [f"mount (issue {t['issue']})", t["what"], shown, f"{ratio} ({t['ratio_kind']})", t["target"], met]


def fuse_markdown(doc, heading_level=2):
    h = "#" * heading_level
    s = doc["sizes"]
    names = _names(doc)
    out = [
        f"{h} Mount: datamon against local disk, tmpfs, s3fs and rclone",
        "",
        f"Command: `{doc['command']}`. {doc['runs']} run(s){' (--quick: small data)' if doc['quick'] else ''}; "
        f"load average {doc['load_average']['start']} at the start, {doc['load_average']['end']} at the end; "
        f"{doc['elapsed_s']} s in all.",
        "",
        f"Data, the same for every file system: one file of {s['big_mib']} MiB, {s['small_files']} files of "
        f"{s['small_kib']} KiB, a folder of {s['entries']} empty files, {s['ttfb_files']} files of {s['ttfb_mib']} "
        "MiB (random bytes). s3fs and rclone read it as plain objects from one RGW bucket; `datamon-rgw` reads "
        "the same tree as a bundle from the same RGW; `datamon-local` from a `file://` store on the local disk. "
        "Each run measures every file system back to back. A file system is mounted fresh and the page cache "
        "dropped (`echo 3 > /proc/sys/vm/drop_caches`) before each of its two sessions: (1) time to first byte, "
        "`ls -l` cold then warm, small files cold then warm, 4 KiB and 256 KiB random reads cold, 1 000 files "
        f"held open; (2) sequential read cold then warm, random reads warm. fio jobs: `bench/fuse/*.fio`, "
        f"random cases run {doc['rand_runtime_s']} s each; a small-files pass stops after "
        f"{doc.get('small_budget_s', '?')} s and counts the files it read (the warm pass reads the same ones). RGW keeps its objects in RAM (memstore), so \"cold\" "
        "means cold on the client side.",
        "",
        "Figures: median (min-max) over the runs.",
        "",
        figures_table(doc),
        "",
    ]
    b2 = doc.get("b2sum", {})
    if b2.get("cold"):
        out += [f"Single-core `b2sum` of the big file on the local disk: {fmt_summary(b2['cold'])} MiB/s cold, "
                f"{fmt_summary(b2.get('warm'))} MiB/s from the page cache.", ""]
    if doc.get("curl_get_ms"):
        out += [f"A plain signed `curl` GET of each whole {s['ttfb_mib']} MiB ttfb object from the peers' bucket (the "
                f"time-to-first-byte yardstick): {fmt_summary(doc['curl_get_ms'])} ms (median over the files, then "
                "over runs).", ""]
    out += [
        "Speed ratios, each taken within one run and then the median (min-max) over runs: above 1, datamon is "
        "faster (times are inverted so that this holds for every unit).",
        "",
        ratios_table(doc),
        "",
        f"{h}# Targets of the mount (issue 4) decided here" if not doc["quick"] else
        f"{h}# Targets of the mount (issue 4): smoke-run figures (--quick, small data; not the targets' figures)",
        "",
        _table(["area", "target", "figure", "ratio", "target", "met"], [target_row_fuse(t) for t in doc["targets"]]),
        "",
    ]
    if doc["losses"]:
        out += [f"{h}# Where datamon loses, and why", "",
                "Every case where a datamon mount is more than 5% slower than the file system it is compared "
                "with (median ratio under 0.95), with the cause.", ""]
        for loss in doc["losses"]:
            for kind, why in loss["why"].items():
                lost = ", ".join(f"`{x['candidate']}` {fmt(x['ratio'], 2)}x `{x['baseline']}`"
                                 for x in loss["lost"] if x["kind"] == kind)
                against = "the physical baseline" if kind == "physical" else "a peer"
                out.append(f"- **{loss['label']}**, against {against}: {lost}. Why: {why}")
        out.append("")
    out += [f"{h}# How each file system was mounted", ""]
    for c in doc["candidates"]:
        out.append(f"- `{c['name']}` ({names[c['name']]}): " + (f"`{c['command']}`" if c["command"] else "a folder"))
    out += ["", "Set-up (not measured against anything): " +
            ", ".join(f"{k} {v} s" for k, v in doc["setup_s"].items()) + ".", ""]
    if doc.get("case_timeout_s"):
        out += [f"Every case of every file system is stopped after {doc['case_timeout_s']} s; a file system that "
                "needs longer shows \"> T s (timed out)\", has lost that case, and is not tried again in later runs.",
                ""]
    if doc.get("phases_s"):
        out += ["Where the time went (seconds): " + "; ".join(f"{n} {s}" for n, s in doc["phases_s"]) + ".", ""]
    if doc["errors"]:
        out += [f"{h}# Failures in this run", ""] + [f"- {e}" for e in doc["errors"]] + [""]
    return "\n".join(out)
