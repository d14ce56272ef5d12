#!/usr/bin/python3
"""examples/python/make_notebook.py - writes paper_2x2.ipynb, the notebook form of paper_2x2.py, from the cells
below (plain JSON in the nbformat 4.4 schema: Debian's python3-nbformat is not needed to make it, only Jupyter
to open it).  Edit the cells here, not the .ipynb, and run this again; tests/python/test_examples.py checks
that the two agree.

    /usr/bin/python3 examples/python/make_notebook.py        # writes examples/python/paper_2x2.ipynb
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

CELLS = [
    ("markdown", """# The paper's 2x2 from Python

Zhu, Ocker & Rosenbaum (2026): in a balanced E/I network, does the membrane-potential variance var(V)
shrink as the network grows (N)?  With current-based synapses and correlated inputs it grows with N; with
conductance-based synapses, the conductance and the spike-time correlations cancel and it shrinks, towards
the range measured in vivo (4-9 mV^2).  This notebook runs the 2x2 (current | conductance synapses, input
correlation c = 0 | 0.2) at N = 1000, 2000, 4000 with 4 trials each, in this Python process through the
`balnet` package (`include/balnet.h` in C), and plots var(V) against N.

Open it from the source tree after `make`, with Debian's Jupyter (`apt-get install jupyter-notebook`):

    jupyter notebook examples/python/paper_2x2.ipynb

The same experiment as a script: `examples/python/paper_2x2.py`; as a command: `make run`."""),
    ("code", """import os, sys
ROOT = os.getcwd()       # the source tree: the folder above this notebook's that holds models/
while ROOT != "/" and not os.path.exists(os.path.join(ROOT, "models", "paper", "cancellation.bn")):
    ROOT = os.path.dirname(ROOT)
sys.path.insert(0, os.path.join(ROOT, "build", "python"))
import balnet
balnet.version()"""),
    ("markdown", """## The experiment

`models/paper/cancellation.bn` is the model; `set` overrides its sweep like `balnet run --set`.  A run
draws a progress bar under the cell, releases the GIL, and stops cleanly on *Kernel > Interrupt*.
`QUICK = True` runs 1 s trials instead of 5 s (about 3x faster, wider confidence intervals)."""),
    ("code", """QUICK = False
m = balnet.load(os.path.join(ROOT, "models/paper/cancellation.bn"))
r = m.run(set={"N": [1000, 2000, 4000], "c": [0, 0.2], "syn": ["current", "conductance"],
               "trial": range(1, 5), "duration": "1 s" if QUICK else "5 s"}, seed=1)
r"""),
    ("markdown", """## var(V) per arm and N

`r.points` is `points.csv` as a pandas DataFrame (one row per point, trial, population and statistic);
`r.scaling` the log-log fits against N with 95 % confidence intervals (`scaling.csv`)."""),
    ("code", """v = r.points.query("population == 'all' and statistic == 'v_var'")
table = v.groupby(["c", "syn", "N"]).value.agg(["mean", "sem"]).reset_index()
fits = r.scaling.query("population == 'all' and statistic == 'v_var' and axis == 'N'")
table.merge(fits[["c", "syn", "slope", "ci_low", "ci_high"]], on=["c", "syn"])"""),
    ("code", """%matplotlib inline
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 4))
for (c, syn), g in table.groupby(["c", "syn"]):
    ax.errorbar(g.N, g["mean"], yerr=g["sem"], marker="o", capsize=3,
                linestyle="-" if syn == "conductance" else "--", label=f"{syn}, c = {c}")
ax.axhspan(4, 9, color="0.9", label="in vivo (4-9 mV$^2$)")
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("N (neurons)"); ax.set_ylabel("var(V) (mV$^2$)")
ax.legend(fontsize=8);"""),
    ("markdown", """## Spikes, straight from memory

`r.spikes(population, point, trial)` gives numpy arrays of spike times (ms) and neuron indices.  The points
are numbered as in `points.csv` (the last axis fastest); here the largest conductance-based network with
correlated input."""),
    ("code", """point = r.points.query("N == 4000 and c == 0.2 and syn == 'conductance'").point.iloc[0]
t, ids = r.spikes("E", point=point, trial=1)
keep = (ids < 200) & (t < 1000)
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(t[keep], ids[keep], ",k")
ax.set_xlabel("t (ms)"); ax.set_ylabel("E neuron");"""),
    ("markdown", """Every spike of every point and trial can go to one compressed HDF5 file (`docs/hdf5.md`), read back
with h5py:"""),
    ("code", """path = r.save_hdf5("paper_2x2_spikes.h5")
balnet.hdf5_complete(path), os.path.getsize(path) / 1e6"""),
]


def cell(kind, text):
    lines = text.split("\n")
    source = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    c = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        c.update(execution_count=None, outputs=[])
    return c


def notebook():
    return {"cells": [cell(k, t) for k, t in CELLS],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 4}


def text():
    return json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    path = os.path.join(HERE, "paper_2x2.ipynb")
    with open(path, "w") as f:
        f.write(text())
    print(path)
