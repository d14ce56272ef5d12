"""Spikes as HDF5 (docs/hdf5.md): the file h5py reads holds exactly the spikes of `balnet run --spikes`'s
CSV; 10^7 spikes round-trip bit for bit (no cap, chunked and compressed); a file whose writer was killed, or
a truncated one, is reported incomplete, never read as complete.  Tolerance: none (integers)."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import balnet
from conftest import cli

h5py = pytest.importorskip("h5py", reason="python3-h5py is not installed (apt-get install python3-h5py)")
if not hasattr(balnet._balnet, "H5File"):
    pytest.skip("balnet was built without libhdf5 (apt-get install libhdf5-dev)", allow_module_level=True)

MODEL = "models/paper/cancellation.bn"


def test_hdf5_equals_cli_csv(tmp_path):
    one = {"N": 500, "syn": "conductance", "c": 0.2, "trial": 1, "duration": "300 ms", "burn_in": "50 ms"}
    cli("run", MODEL, *sum((["--set", f"{k}={v}"] for k, v in one.items()), []), "--seed", "5", "--quiet",
        "--out", str(tmp_path / "cli"), "--spikes", str(tmp_path / "spikes.csv"))
    want = pd.read_csv(tmp_path / "spikes.csv")
    r = balnet.load(MODEL).run(set=one, seed=5, progress=False)
    path = r.save_hdf5(tmp_path / "spikes.h5")
    assert balnet.hdf5_complete(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == b"balnet-spikes" and f.attrs["complete"] == 1   # fixed-length: bytes
        g = f["p0/t1"]
        assert g.attrs["dt_ms"] == 0.1 and g.attrs["axis_syn"] == b"conductance"
        assert set(g) == {"E", "I", "X"}         # the input's spikes too
        for pop, rows in want.groupby("population"):
            d = g[pop]
            assert d["step"].dtype == np.int64 and d["neuron"].dtype == np.uint32
            assert d["step"].compression == "gzip" and d["step"].shuffle and d["step"].chunks
            assert np.array_equal(d["step"][:], rows.step.to_numpy()), pop
            assert np.array_equal(d["neuron"][:], rows.neuron.to_numpy()), pop
            assert d.attrs["n"] == len(rows) > 0


def test_ten_million_spikes_round_trip(tmp_path):
    """10^7 spikes (more than the CSV recordings' 10^6 cap) of 1000 neurons over 5 * 10^6 steps: written through
    the extension and read back by h5py identical, in less space than the raw 120 MB."""
    rng = np.random.default_rng(1)
    n = 10_000_000
    steps = np.sort(rng.integers(0, 5_000_000, n, dtype=np.int64))
    ids = rng.integers(0, 1000, n, dtype=np.uint32)
    path = str(tmp_path / "big.h5")
    f = balnet._balnet.H5File(path, {"model": "synthetic"})
    f.group("p0/t1", {"point": 0, "trial": 1, "dt_ms": 0.1})
    f.spikes("p0/t1/E", steps, ids)
    f.close()
    assert balnet.hdf5_complete(path)
    with h5py.File(path, "r") as h:
        assert np.array_equal(h["p0/t1/E/step"][:], steps)
        assert np.array_equal(h["p0/t1/E/neuron"][:], ids)
    assert os.path.getsize(path) < n * 12


KILLED = """
import os, signal, sys
import numpy as np
from balnet import _balnet
f = _balnet.H5File(sys.argv[1], {"model": "killed"})
f.group("p0/t1", {"point": 0, "trial": 1, "dt_ms": 0.1})
f.spikes("p0/t1/E", np.arange(100000, dtype=np.int64), np.zeros(100000, dtype=np.uint32))
os.kill(os.getpid(), signal.SIGKILL)   # a run killed before close()
"""


def test_killed_writer_is_incomplete(tmp_path):
    path = str(tmp_path / "killed.h5")
    p = subprocess.run([sys.executable, "-c", KILLED, path], env=dict(os.environ))
    assert p.returncode == -9 and os.path.exists(path)
    assert not balnet.hdf5_complete(path)
    try:
        with h5py.File(path, "r") as f:      # readable or not, never complete
            assert f.attrs["complete"] == 0
    except OSError:
        pass


def test_truncated_file_is_incomplete(tmp_path):
    r = balnet.load("tests/models/traces.bn").run(set={"duration": "300 ms"}, progress=False)
    path = r.save_hdf5(tmp_path / "ok.h5")
    assert balnet.hdf5_complete(path)
    data = open(path, "rb").read()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    assert not balnet.hdf5_complete(cut)
    assert not balnet.hdf5_complete(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="did not keep its spikes"):
        balnet.load("tests/models/traces.bn").run(set={"duration": "100 ms"}, spikes=False,
                                                  progress=False).save_hdf5(tmp_path / "none.h5")
