#!/usr/bin/python3
"""bench/python.py [BUILD] - the overhead of a small run through the Python package against the CLI (issue 16).

Runs the same small model (models/benchmarks/coba.bn, 4000 neurons, 100 ms simulated, one item, one
thread, seed 1) REPS times (BENCH_REPS, default 10) each way, kernels from a warm kernel cache (both):
  - `balnet run ... --out DIR --quiet` as a subprocess (process start, load, compile, run, results folder);
  - balnet.load(...).run(...) in one Python process, rows in memory (no folder), and with out=DIR;
and prints the median wall time of each and the difference.  Also the one-off cost of `import balnet`
(which loads libbalnet.so and libLLVM) in a fresh interpreter.  Measurements are printed, never asserted."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))
import balnet  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "10"))
MODEL = os.path.join(ROOT, "models/benchmarks/coba.bn")
SETS = {"duration": "100 ms"}
os.environ.setdefault("BALNET_CACHE_DIR", os.path.join(BUILD, "bench", "kernel-cache"))


def median_wall(fn):
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main():
    tmp = tempfile.mkdtemp(prefix="balnet-bench-")
    n = [0]

    def out():
        n[0] += 1
        return os.path.join(tmp, f"r{n[0]}")

    cli = [os.path.join(BUILD, "balnet"), "run", MODEL, "--set", "duration=100 ms", "--seed", "1",
           "--threads", "1", "--quiet"]
    subprocess.run(cli + ["--out", out()], check=True)          # warm the kernel cache
    m = balnet.load(MODEL)
    m.run(set=SETS, seed=1, threads=1, progress=False)
    t_cli = median_wall(lambda: subprocess.run(cli + ["--out", out()], check=True))
    t_mem = median_wall(lambda: m.run(set=SETS, seed=1, threads=1, progress=False).points)
    t_out = median_wall(lambda: m.run(set=SETS, seed=1, threads=1, out=out(), progress=False).points)
    r = m.run(set=SETS, seed=1, threads=1, progress=False)
    sim = r.timing()["sim_ms"]
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import balnet"], check=True,
                   env=dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python")))
    t_import = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    t_python = (time.perf_counter() - t) * 1e3
    print(f"bench/python.py: {os.path.relpath(MODEL, ROOT)}, 100 ms simulated, 1 thread, median of {REPS}")
    print(f"  simulation loop alone (sim_ms)            {sim:8.1f} ms")
    print(f"  balnet run (subprocess, --out)            {t_cli:8.1f} ms")
    print(f"  Python m.run(), rows in memory            {t_mem:8.1f} ms   ({t_mem - t_cli:+.1f} ms vs CLI)")
    print(f"  Python m.run(out=DIR)                     {t_out:8.1f} ms   ({t_out - t_cli:+.1f} ms vs CLI)")
    print(f"  python3 -c 'import balnet' (fresh)        {t_import:8.1f} ms   (python3 -c pass: {t_python:.1f} ms)")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
