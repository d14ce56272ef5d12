#!/usr/bin/python3
"""examples/python/paper_2x2.py - the paper's 2x2 from Python: var(V) against N for current and conductance
synapses, without (c = 0) and with (c = 0.2) input correlations (Zhu, Ocker & Rosenbaum 2026; SCIENCE.md).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/paper_2x2.py [--quick] [--out var_v.png]

The same experiment as `make run` (N in 1000, 2000, 4000; 4 trials of 5 s; about 15 s on 2 cores), run in
this process through the balnet package; --quick runs 1 s trials.  Prints the mean var(V) of all neurons per
arm and N with the log-log slope from the run's own fits (scaling.csv), and plots var(V) against N on
log-log axes with matplotlib (Debian's python3-matplotlib) when it is installed."""
import argparse
import os
import sys

import balnet

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 s trials instead of 5 s")
    ap.add_argument("--out", default="var_v.png", help="the plot (PNG); default var_v.png")
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()

    m = balnet.load(os.path.join(ROOT, "models/paper/cancellation.bn"))
    r = m.run(set={"N": [1000, 2000, 4000], "c": [0, 0.2], "syn": ["current", "conductance"],
                   "trial": range(1, 5), "duration": "1 s" if a.quick else "5 s"},
              seed=1, threads=a.threads)
    v = r.points.query("population == 'all' and statistic == 'v_var'")
    table = v.groupby(["c", "syn", "N"]).value.agg(["mean", "sem"]).reset_index()
    fits = r.scaling.query("population == 'all' and statistic == 'v_var' and axis == 'N'")
    print("var(V) of all neurons (mV^2), mean +- s.e.m. over trials; slope of log var(V) against log N:")
    for (c, syn), g in table.groupby(["c", "syn"]):
        f = fits[(fits.c == c) & (fits.syn == syn)]
        slope = f"{f.slope.iloc[0]:+.2f} [{f.ci_low.iloc[0]:+.2f}, {f.ci_high.iloc[0]:+.2f}]" if len(f) else "-"
        vals = "  ".join(f"N={n}: {mu:6.2f} +- {se:4.2f}" for n, mu, se in zip(g.N, g["mean"], g["sem"]))
        print(f"  c = {c:<4} {syn:<12} {vals}   slope {slope}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (apt-get install python3-matplotlib): no plot", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    for (c, syn), g in table.groupby(["c", "syn"]):
        ax.errorbar(g.N, g["mean"], yerr=g["sem"], marker="o", capsize=3,
                    linestyle="-" if syn == "conductance" else "--", label=f"{syn}, c = {c}")
    ax.axhspan(4, 9, color="0.9", label="in vivo (4-9 mV$^2$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (neurons)")
    ax.set_ylabel("var(V) (mV$^2$)")
    ax.set_title("membrane-potential variance against network size")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print(f"plot: {a.out}")


if __name__ == "__main__":
    main()
