"""PNG plots for docs/benchmarks.md (matplotlib from Debian, python3-matplotlib). Each function
writes one file and returns its path, or None when there is nothing to plot or matplotlib is
missing (the report then has tables only)."""
import math

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # the tables still carry every figure
    plt = None

COLOURS = ["#4477aa", "#66ccee", "#228833", "#ccbb44", "#ee6677", "#aa3377"]


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def fuse_ratios(doc, path):
    """Speed ratios per case, one bar per comparison, log scale around 1 (datamon faster to the right)."""
    if plt is None:
        return None
    cases = [c for c in doc["cases"] if c["name"] in doc["ratios"]]
    pairs = doc["comparisons"]
    if not cases:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(cases) * (1 + len(pairs) / 4) + 1.5))
    height = 0.8 / len(pairs)
    for k, pair in enumerate(pairs):
        ys, xs, lo, hi = [], [], [], []
        for i, case in enumerate(cases):
            r = doc["ratios"][case["name"]].get(pair)
            if r is None:
                continue
            ys.append(i + k * height)
            xs.append(r["median"])
            lo.append(r["median"] - r["min"])
            hi.append(r["max"] - r["median"])
        ax.barh(ys, xs, height=height, xerr=[lo, hi], color=COLOURS[k % len(COLOURS)],
                label=pair.replace("/", " ÷ "), capsize=2)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(cases))])
    ax.set_yticklabels([c["label"].replace("`", "") for c in cases], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("speed ratio, log scale (> 1: datamon faster); median, min-max")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def fuse_figures(doc, path):
    """One panel per case: the median of each file system with its min-max range."""
    if plt is None:
        return None
    cases = [c for c in doc["cases"] if doc["values"].get(c["name"])]
    if not cases:
        return None
    names = [c["name"] for c in doc["candidates"]]
    cols = 3
    rows = math.ceil(len(cases) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows))
    for ax in axes.flat[len(cases):]:
        ax.axis("off")
    for ax, case in zip(axes.flat, cases):
        per = doc["values"][case["name"]]
        shown = [n for n in names if n in per]
        med = [per[n]["median"] if per[n] else 0 for n in shown]
        err = [[(per[n]["median"] - per[n]["min"]) if per[n] else 0 for n in shown],
               [(per[n]["max"] - per[n]["median"]) if per[n] else 0 for n in shown]]
        ax.bar(range(len(shown)), med, yerr=err, color=[COLOURS[names.index(n) % len(COLOURS)] for n in shown],
               capsize=2)
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels(shown, rotation=30, ha="right", fontsize=7)
        better = "higher" if case["higher_is_better"] else "lower"
        ax.set_title(f"{case['label'].replace('`', '')}\n{case['unit']}, {better} is better", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


def pairs_plot(cases, key_a, key_b, label_a, label_b, unit, path):
    """Two bars per case (ours and the other tool) from a store.json / pg.json `cases` object."""
    if plt is None:
        return None
    names = [n for n, c in cases.items() if c.get(key_a) is not None and c.get(key_b) is not None]
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 1.5))
    ys = range(len(names))
    ax.barh([y - 0.2 for y in ys], [cases[n][key_a] for n in names], height=0.4, color=COLOURS[0], label=label_a)
    ax.barh([y + 0.2 for y in ys], [cases[n][key_b] for n in names], height=0.4, color=COLOURS[4], label=label_b)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(unit + " (median of the runs)")
    ax.legend(fontsize=8)
    return _save(fig, path)
