"""Figures of repeated runs: median with min and max, and ratios taken within one run.

A ratio is always a speed ratio of a candidate over a baseline measured in the same run
(> 1: the candidate is faster), whatever the unit: throughputs divide as they are, times are
inverted. Runs where either side failed (None) are left out. Pure functions, no state.
"""
import statistics


def summary(runs):
    """{"median", "min", "max", "runs"} of the runs that produced a figure, or None if none did."""
    ok = [v for v in runs if v is not None]
    if not ok:
        return None
    return {"median": statistics.median(ok), "min": min(ok), "max": max(ok), "runs": list(runs)}


def speed_ratio(candidate, baseline, higher_is_better):
    if candidate is None or baseline is None or candidate <= 0 or baseline <= 0:
        return None
    return candidate / baseline if higher_is_better else baseline / candidate


def run_ratios(candidate_runs, baseline_runs, higher_is_better):
    """The ratio of each run (candidate and baseline measured back to back in that run)."""
    return [speed_ratio(c, b, higher_is_better) for c, b in zip(candidate_runs, baseline_runs)]


def fmt(value, digits=None):
    """A figure for a table: 3 significant digits below 100, whole numbers above."""
    if value is None:
        return "failed"
    if digits is not None:
        return f"{value:.{digits}f}"
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_summary(s, digits=None):
    """"median (min-max)", or just the figure for a single run."""
    if s is None:
        return "failed"
    if s["min"] == s["max"]:
        return fmt(s["median"], digits)
    return f"{fmt(s['median'], digits)} ({fmt(s['min'], digits)}-{fmt(s['max'], digits)})"
