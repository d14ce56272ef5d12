#!/usr/bin/python3
"""bench/hdf5.py [BUILD] - spikes as HDF5 against CSV (issue 16): writing them and reading them back.

One run of about 10^7 spikes (1000 noisy leaky neurons firing irregularly at ~436 Hz, ISI CV ~0.4, for 23 s:
irregular spike trains, which compress less than the synchronous ones of tests/python/test_hdf5.py; one item,
one thread, warm kernel cache) is made three times with the balnet command:
  - without --spikes (the baseline: load, compile, simulate, results folder);
  - with --spikes FILE.csv (one line "population,step,neuron" per spike);
  - with --spikes FILE.h5 (the library's HDF5 writer: chunked, shuffled, deflated at level 4);
the write cost of each format is its run's wall time minus the baseline's (median of REPS, BENCH_REPS,
default 3).  Then the two files are read back into numpy arrays (median of REPS): the HDF5 file with h5py
(python3-h5py), the CSV with pandas.read_csv (its C parser, the dtypes given).  Sizes, times and rates are
printed, never asserted.  The two readings are checked to hold the same spikes (a benchmark of a wrong
reader would be meaningless)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
os.environ.setdefault("BALNET_CACHE_DIR", os.path.join(BUILD, "bench", "kernel-cache"))

MODEL = """
neuron noisy {
    param tau = 3 ms, E_L = -30 mV, V_th = -50 mV, V_re = -60 mV, sigma = 10 mV
    state V = uniform(V_re, V_th)
    dV/dt = (E_L - V) / tau + sigma*sqrt(2/tau)*xi
    spike when V >= V_th { V = V_re }
    refractory 1 ms
}
population E = noisy[1000]
record E: rate, cv_isi
simulate { dt = 0.1 ms  duration = 23 s  burn_in = 0 ms  seed = 2 }
"""


def median_wall(fn):
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    import h5py
    import pandas as pd
    tmp = tempfile.mkdtemp(prefix="balnet-bench-h5-")
    model = os.path.join(tmp, "ten_million.bn")
    with open(model, "w") as f:
        f.write(MODEL)
    n = [0]

    def run(*extra):
        n[0] += 1
        subprocess.run([os.path.join(BUILD, "balnet"), "run", model, "--threads", "1", "--quiet",
                        "--out", os.path.join(tmp, f"r{n[0]}"), *extra], check=True, stderr=subprocess.DEVNULL)

    csv, h5 = os.path.join(tmp, "spikes.csv"), os.path.join(tmp, "spikes.h5")
    run()   # warm the kernel cache
    t_base = median_wall(run)
    t_csv = median_wall(lambda: run("--spikes", csv))
    t_h5 = median_wall(lambda: run("--spikes", h5))

    def read_h5():
        with h5py.File(h5, "r") as f:
            g = f["p0/t1/spikes/E"]
            return g["step"][:], g["neuron"][:]

    def read_csv():
        df = pd.read_csv(csv, dtype={"population": "category", "step": np.int64, "neuron": np.uint32})
        return df["step"].to_numpy(), df["neuron"].to_numpy()

    (s1, i1), (s2, i2) = read_h5(), read_csv()
    nspk = len(s1)
    assert np.array_equal(s1, s2) and np.array_equal(i1, i2), "the HDF5 and CSV files differ"
    r_h5 = median_wall(read_h5)
    r_csv = median_wall(read_csv)
    mb_csv, mb_h5 = os.path.getsize(csv) / 1e6, os.path.getsize(h5) / 1e6
    print(f"bench/hdf5.py: {nspk:.3g} spikes of one run (1000 irregular neurons, 23 s), 1 thread, median of {REPS}")
    print(f"  balnet run without --spikes          {t_base:7.2f} s")
    print(f"  write --spikes FILE.csv              {t_csv - t_base:7.2f} s   {mb_csv:8.1f} MB  "
          f"({mb_csv * 1e6 / nspk:.1f} bytes/spike)")
    print(f"  write --spikes FILE.h5               {t_h5 - t_base:7.2f} s   {mb_h5:8.1f} MB  "
          f"({mb_h5 * 1e6 / nspk:.2f} bytes/spike; raw int64 + uint32: 12)")
    print(f"  read CSV  (pandas.read_csv)          {r_csv:7.2f} s   ({nspk / r_csv / 1e6:.1f} M spikes/s)")
    print(f"  read HDF5 (h5py)                     {r_h5:7.2f} s   ({nspk / r_h5 / 1e6:.1f} M spikes/s, "
          f"{r_csv / r_h5:.1f}x faster)")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
