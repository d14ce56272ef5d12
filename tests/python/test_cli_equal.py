"""The Python API gives exactly the numbers of the balnet command for the same model, overrides and seed.

Tolerance: none.  An item's seed depends only on the model, its point and its trial (include/balnet.h), and
both sides run the same library; points.csv writes values with %.17g, which reads back to the same double,
so the DataFrames must be equal value for value (read with pandas' round-trip float parser: its default
one is not exact), and the spikes step for step."""
import os

import numpy as np
import pandas as pd

import balnet
from conftest import cli

MODEL = "models/paper/cancellation.bn"
SWEEP = {"N": [300, 600, 1000], "syn": ["current", "conductance"], "c": 0.2, "trial": range(1, 3),
         "duration": "300 ms", "burn_in": "50 ms"}
CLI_SETS = ["--set", "N=[300, 600, 1000]", "--set", "syn=[current, conductance]", "--set", "c=0.2",
            "--set", "trial=1..2", "--set", "duration=300 ms", "--set", "burn_in=50 ms"]


def test_points_and_scaling_equal_cli(tmp_path):
    cli("run", MODEL, *CLI_SETS, "--seed", "7", "--threads", "2", "--quiet", "--out", str(tmp_path / "cli"))
    r = balnet.load(MODEL).run(set=SWEEP, seed=7, threads=2, progress=False)
    want = pd.read_csv(tmp_path / "cli" / "points.csv", float_precision="round_trip")
    assert list(r.points.columns) == list(want.columns)
    assert len(r.points) == len(want) > 0
    pd.testing.assert_frame_equal(r.points, want, check_exact=True)
    want_fits = pd.read_csv(tmp_path / "cli" / "scaling.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(r.scaling, want_fits, check_exact=True)
    assert len(r.scaling) > 0
    # Result.save writes the folder the command writes: points.csv byte for byte.
    r.save(tmp_path / "saved")
    for f in ("points.csv", "scaling.csv"):
        assert (tmp_path / "saved" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f


def test_out_folder_equals_cli(tmp_path):
    """With out=, the folder's points.csv is the CLI's byte for byte."""
    cli("run", MODEL, *CLI_SETS, "--set", "N=500", "--seed", "7", "--threads", "1", "--quiet",
        "--out", str(tmp_path / "cli"))
    sets = dict(SWEEP, N=500)
    r = balnet.load(MODEL).run(set=sets, seed=7, threads=1, out=tmp_path / "py", progress=False)
    assert r.folder == str(tmp_path / "py")
    for f in ("points.csv", "scaling.csv"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f


def test_spikes_equal_cli(tmp_path):
    one = ["--set", "N=500", "--set", "syn=conductance", "--set", "c=0.2", "--set", "trial=1",
           "--set", "duration=300 ms", "--set", "burn_in=50 ms"]
    cli("run", MODEL, *one, "--seed", "11", "--quiet", "--out", str(tmp_path / "cli"),
        "--spikes", str(tmp_path / "spikes.csv"))
    want = pd.read_csv(tmp_path / "spikes.csv")
    r = balnet.load(MODEL).run(set={"N": 500, "syn": "conductance", "c": 0.2, "trial": 1,
                                    "duration": "300 ms", "burn_in": "50 ms"}, seed=11, progress=False)
    assert set(want.population) == {"E", "I"}   # the command writes the populations' spikes
    dt = r.timing()["dt_ms"]
    assert dt == 0.1
    for pop, rows in want.groupby("population"):
        steps, ids = r.spike_steps(pop)
        assert len(steps) == len(rows) > 0, pop
        assert np.array_equal(steps, rows.step.to_numpy()), pop
        assert np.array_equal(ids, rows.neuron.to_numpy()), pop
        times, ids2 = r.spikes(pop)
        assert np.array_equal(times, rows.step.to_numpy() * dt) and np.array_equal(ids2, ids)
    # The rate statistic counts the same spikes: rate = spikes / (N_pop * (duration - burn_in)).
    e = r.points.query("population == 'E' and statistic == 'rate'").value.iloc[0]
    nE = (r.spike_steps("E")[0] >= 500).sum()   # burn_in 50 ms = 500 steps
    assert abs(e - nE / (400 * 0.25)) < 1e-9 * max(1.0, e)
