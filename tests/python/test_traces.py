"""Recordings from memory (include/balnet.h's bn_trace, Result.trace) and in HDF5: every CSV file `balnet run`
writes to traces/ (rate_trace, trace, raster; a plastic projection's weights, weight_stats, weight_hist,
state_trace) has its DataFrame in memory with the same columns and values, and the same tables are in the
HDF5 file of `--spikes FILE.h5` with each column's unit as an attribute.

Tolerances: values printed with %.17g and indices are compared exactly; times are printed with %.12g, so they
agree to 1e-11 relative; weights and histogram edges are printed with %.9g (float32 weights), so 1e-8."""
import glob
import os

import numpy as np
import pandas as pd
import pytest

import balnet
from conftest import cli

TOL = {"time_ms": 1e-11}


def tol(col):
    if col in TOL:
        return TOL[col]
    if col.startswith(("w_", "bin_lo_", "bin_hi_")):
        return 1e-8
    return 0


def equal_to_files(r, folder, point=0, trial=1):
    files = sorted(glob.glob(os.path.join(folder, "traces", f"p{point}-t{trial}-*.csv")))
    assert len(files) == len(r.traces(point, trial)) > 0
    for f in files:
        want = pd.read_csv(f, comment="#", float_precision="round_trip")
        who, name = next((w, n) for w, n in r.traces(point, trial)
                         if os.path.basename(f) == f"p{point}-t{trial}-{w}-{n}.csv")
        got = r.trace(who, name, point=point, trial=trial)
        assert list(got.columns) == list(want.columns), f
        assert len(got) == len(want), f
        for c in want.columns:
            if tol(c):
                np.testing.assert_allclose(got[c], want[c], rtol=tol(c), atol=0, err_msg=f"{f}:{c}")
            else:
                assert np.array_equal(got[c].to_numpy(), want[c].to_numpy(), equal_nan=True), f"{f}:{c}"
                if c in ("neuron", "pre", "post", "count"):
                    assert got[c].dtype == np.int64, f"{f}:{c}"
        truncated = open(f).read().rstrip("\n").split("\n")[-1]
        assert got.attrs["note"] == (truncated[2:] if truncated.startswith("# ") else None), f


@pytest.mark.parametrize("model,sets", [("tests/models/traces.bn", {"duration": "300 ms"}),
                                        ("tests/models/plastic.bn", {"duration": "1 s"})])
def test_traces_from_memory_equal_files(tmp_path, model, sets):
    cli("run", model, *sum((["--set", f"{k}={v}"] for k, v in sets.items()), []), "--quiet", "--out",
        str(tmp_path / "cli"))
    r = balnet.load(model).run(set=sets, progress=False, threads=1)      # no folder: from memory
    equal_to_files(r, tmp_path / "cli")
    units = r.trace("E", "trace_V").attrs["units"] if "traces" in model else r.trace("X-E", "weights").attrs["units"]
    assert units == ({"time_ms": "ms", "neuron": "1", "V_mV": "mV"} if "traces" in model
                     else {"pre": "1", "post": "1", "w_nS": "nS"})


def test_traces_capped_note(tmp_path):
    """A trace past the 10^5-row cap (20 neurons every step for 600 ms: 1.2e5 rows) stops at the cap, in memory
    as in its file, and says so in attrs["note"] (the file's last "# truncated: ..." line)."""
    from conftest import SMALL
    text = SMALL.replace("duration = 200 ms", "duration = 600 ms") + "record E: trace(V, neurons = 20)\n"
    (tmp_path / "capped.bn").write_text(text)
    cli("run", str(tmp_path / "capped.bn"), "--quiet", "--out", str(tmp_path / "cli"))
    r = balnet.compile(text).run(progress=False)
    equal_to_files(r, tmp_path / "cli")
    df = r.trace("E", "trace_V")
    assert len(df) == 100_000 and df.attrs["note"].startswith("truncated: at most 100000 rows")
    with pytest.raises(KeyError, match="recorded: E/trace_V"):
        r.trace("E", "nope")


h5py = pytest.importorskip("h5py", reason="python3-h5py is not installed (apt-get install python3-h5py)")


def test_traces_in_hdf5(tmp_path):
    """`--spikes FILE.h5` and save_hdf5 hold every recording with its units; the values are the in-memory
    float64 columns, bit for bit."""
    if not balnet._balnet.hdf5_available():
        pytest.skip("balnet was built without libhdf5")
    cli("run", "tests/models/traces.bn", "--set", "duration=300 ms", "--quiet", "--out", str(tmp_path / "o"),
        "--spikes", str(tmp_path / "cli.h5"))
    r = balnet.load("tests/models/traces.bn").run(set={"duration": "300 ms"}, progress=False)
    py = r.save_hdf5(tmp_path / "py.h5")
    for path in (tmp_path / "cli.h5", py):
        assert balnet.hdf5_complete(path)
        with h5py.File(path, "r") as f:
            g = f["p0/t1/traces"]
            assert sorted((w, n) for w in g for n in g[w]) == sorted(r.traces())
            for who, name in r.traces():
                want = r.trace(who, name)
                t = g[f"{who}/{name}"]
                assert t.attrs["columns"].split(",") == list(want.columns)
                assert t.attrs["n"] == len(want) and t.attrs["kind"] in ("rate_trace", "trace", "raster")
                for c in want.columns:
                    assert t[c].dtype == np.float64 and t[c].attrs["unit"] == want.attrs["units"][c]
                    assert np.array_equal(t[c][:], want[c].to_numpy(dtype=np.float64), equal_nan=True)
            assert g["E/trace_V/V_mV"].attrs["unit"] == "mV" and g["all/rate_trace/rate_hz"].attrs["unit"] == "Hz"
