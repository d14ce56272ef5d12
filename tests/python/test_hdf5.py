"""Spikes as HDF5 (docs/hdf5.md), written by the library's one writer (results/h5.c) from `balnet run --spikes
FILE.h5` and from Result.save_hdf5: the file h5py reads holds exactly the spikes of `--spikes FILE.csv` and of
the in-memory run; 10^7 spikes of a run round-trip bit for bit (no cap, chunked and compressed); a file whose
writer was killed or interrupted, or a truncated one, is reported incomplete, never read as complete.
Tolerance: none (integers)."""
import os
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

import balnet
from conftest import BIN, SRC, cli

h5py = pytest.importorskip("h5py", reason="python3-h5py is not installed (apt-get install python3-h5py)")
if not balnet._balnet.hdf5_available():
    pytest.skip("balnet was built without libhdf5 (apt-get install libhdf5-dev)", allow_module_level=True)

MODEL = "models/paper/cancellation.bn"
ONE = {"N": 500, "syn": "conductance", "c": 0.2, "trial": 1, "duration": "300 ms", "burn_in": "50 ms"}


def sets(d):
    return sum((["--set", f"{k}={v}"] for k, v in d.items()), [])


def test_hdf5_equals_cli_csv(tmp_path):
    """One item: the CLI's CSV, the CLI's HDF5 and Python's save_hdf5 hold the same spikes."""
    cli("run", MODEL, *sets(ONE), "--seed", "5", "--quiet", "--out", str(tmp_path / "csv"),
        "--spikes", str(tmp_path / "spikes.csv"))
    cli("run", MODEL, *sets(ONE), "--seed", "5", "--quiet", "--out", str(tmp_path / "h5"),
        "--spikes", str(tmp_path / "cli.h5"))
    want = pd.read_csv(tmp_path / "spikes.csv")
    r = balnet.load(MODEL).run(set=ONE, seed=5, progress=False)
    py = r.save_hdf5(tmp_path / "py.h5")
    for path in (str(tmp_path / "cli.h5"), py):
        assert balnet.hdf5_complete(path)
        with h5py.File(path, "r") as f:
            assert f.attrs["format"] == "balnet-spikes" and f.attrs["version"] == 2 and f.attrs["complete"] == 1
            assert f.attrs["axes"] == "N,c,syn"
            g = f["p0/t1"]
            assert g.attrs["dt_ms"] == 0.1 and g.attrs["axis_syn"] == "conductance"
            assert set(g["spikes"]) == {"E", "I", "X"}         # the input's spikes too
            for pop, rows in want.groupby("population"):
                d = g["spikes"][pop]
                assert d["step"].dtype == np.int64 and d["neuron"].dtype == np.uint32
                assert d["step"].compression == "gzip" and d["step"].shuffle and d["step"].chunks
                assert np.array_equal(d["step"][:], rows.step.to_numpy()), pop
                assert np.array_equal(d["neuron"][:], rows.neuron.to_numpy()), pop
                assert d.attrs["n"] == len(rows) > 0


def test_cli_hdf5_every_item(tmp_path):
    """A sweep (2 points x 2 trials, on 2 threads): the CLI's file holds every item, equal to the in-memory
    spikes of the same run from Python."""
    sweep = {"N": "[400, 500]", "syn": "conductance", "c": 0, "trial": "1..2", "duration": "200 ms",
             "burn_in": "50 ms"}
    cli("run", MODEL, *sets(sweep), "--seed", "7", "--quiet", "--threads", "2", "--out", str(tmp_path / "o"),
        "--spikes", str(tmp_path / "all.h5"))
    r = balnet.load(MODEL).run(set={**sweep, "N": [400, 500], "trial": range(1, 3)}, seed=7, progress=False)
    assert balnet.hdf5_complete(tmp_path / "all.h5")
    with h5py.File(tmp_path / "all.h5", "r") as f:
        assert sorted(f) == ["p0", "p1"] and sorted(f["p1"]) == ["t1", "t2"]
        for point in range(2):
            for trial in (1, 2):
                g = f[f"p{point}/t{trial}"]
                assert g.attrs["axis_N"] == ("400", "500")[point] and g.attrs["trial"] == trial
                for pop in ("E", "I", "X"):
                    steps, ids = r.spike_steps(pop, point=point, trial=trial)
                    assert np.array_equal(g[f"spikes/{pop}/step"][:], steps), (point, trial, pop)
                    assert np.array_equal(g[f"spikes/{pop}/neuron"][:], ids), (point, trial, pop)
    # Python writing the file as items finish (run(hdf5=...)), without keeping the spikes: the same datasets
    streamed = balnet.load(MODEL).run(set={**sweep, "N": [400, 500], "trial": range(1, 3)}, seed=7, threads=2,
                                      spikes=False, hdf5=tmp_path / "py.h5", progress=False)
    assert balnet.hdf5_complete(tmp_path / "py.h5")
    with h5py.File(tmp_path / "all.h5", "r") as a, h5py.File(tmp_path / "py.h5", "r") as b:
        for item in ("p0/t1", "p0/t2", "p1/t1", "p1/t2"):
            for pop in ("E", "I", "X"):
                for d in ("step", "neuron"):
                    assert np.array_equal(a[f"{item}/spikes/{pop}/{d}"][:], b[f"{item}/spikes/{pop}/{d}"][:])
    assert streamed.timing(1, 2)["nspikes"] == 0      # not kept in memory
    with pytest.raises(ValueError, match="did not keep its spikes"):
        streamed.spikes("E")
    p = subprocess.run([BIN, "run", MODEL, *sets(sweep), "--seed", "7", "--out", str(tmp_path / "o"), "--resume",
                        "--spikes", str(tmp_path / "again.h5")], cwd=SRC, capture_output=True, text=True)
    assert p.returncode == 2 and "cannot be resumed" in p.stderr and not os.path.exists(tmp_path / "again.h5")


# 1000 LIF neurons driven far above threshold fire every 1.1 ms (1 ms refractory + one step), 909 Hz, just
# under the runaway guard's 1000 Hz: exactly 10^7 spikes in 11 s (ten times the CSV recordings' cap).
BIG = """import lif
population E = lif[1000](t_ref = 1 ms, I_e = 100 nA)
record E: rate
simulate { dt = 0.1 ms  duration = 11 s  burn_in = 0 ms  seed = 2 }
"""


def test_ten_million_spikes_round_trip(tmp_path):
    """10^7 spikes of a run, written by the library and read back by h5py identical to the in-memory ones, in
    less space than their 120 MB as int64 + uint32."""
    r = balnet.compile(BIG).run(progress=False, threads=1)
    steps, ids = r.spike_steps("E")
    assert len(steps) == 10_000_000
    path = r.save_hdf5(tmp_path / "big.h5")
    assert balnet.hdf5_complete(path)
    with h5py.File(path, "r") as h:
        assert np.array_equal(h["p0/t1/spikes/E/step"][:], steps)
        assert np.array_equal(h["p0/t1/spikes/E/neuron"][:], ids)
    assert os.path.getsize(path) < len(steps) * 12


def wait_for(path, timeout=60):
    t0 = time.monotonic()
    while not os.path.exists(path) and time.monotonic() - t0 < timeout:
        time.sleep(0.02)
    return os.path.exists(path)


def test_killed_and_interrupted_runs_are_incomplete(tmp_path):
    """SIGKILL while a sweep writes its HDF5 file, and SIGINT (the run stops cleanly): neither file is
    complete; the interrupted one's finished items are readable."""
    # 80 items of 4 s (about 10 s of CPU on an idle machine): the signal 0.5 s after the file appears always
    # finds the sweep running, however fast the machine (12 items of 400 ms finished first on an idle one).
    sweep = sets({"N": "[400, 500, 600, 700]", "syn": "conductance", "c": 0, "trial": "1..20",
                  "duration": "4 s", "burn_in": "50 ms"})
    for sig in (signal.SIGKILL, signal.SIGINT):
        path = str(tmp_path / f"s{int(sig)}.h5")
        p = subprocess.Popen([BIN, "run", MODEL, *sweep, "--quiet", "--threads", "1", "--out",
                              str(tmp_path / f"o{int(sig)}"), "--spikes", path], cwd=SRC,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(path)
        time.sleep(0.5)
        assert p.poll() is None, "the sweep ended before the signal: make it longer"
        p.send_signal(sig)
        rc = p.wait(timeout=60)
        assert rc == (-9 if sig == signal.SIGKILL else 130), rc
        assert not balnet.hdf5_complete(path)
        try:
            with h5py.File(path, "r") as f:      # readable or not, never complete
                assert f.attrs["complete"] == 0
                for point in f:
                    for trial in f[point]:
                        assert f[f"{point}/{trial}/spikes/E/step"].shape[0] >= 0
        except OSError:
            assert sig == signal.SIGKILL        # only a killed writer may leave a file HDF5 cannot open


def test_python_interrupted_hdf5_is_incomplete(tmp_path):
    """run(hdf5=...) stopped by Ctrl-C (here the progress callback's KeyboardInterrupt) leaves complete = 0
    with the finished items readable."""
    def stop(done, total):
        if done >= 1:
            raise KeyboardInterrupt
    from conftest import SMALL
    path = tmp_path / "cut.h5"
    with pytest.raises(KeyboardInterrupt):
        balnet.compile(SMALL).run(set={"trial": range(1, 7), "duration": "500 ms"}, threads=1, hdf5=path,
                                  progress=stop)
    assert not balnet.hdf5_complete(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"] == 0 and 1 <= len(f["p0"]) < 6
        assert all(f[f"p0/{t}/spikes/E/step"].shape[0] > 0 for t in f["p0"])


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
