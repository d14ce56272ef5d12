"""run(out=DIR, resume=True) finishes an interrupted sweep as `balnet run --resume` does: only the missing
items run, and the folder's points.csv is byte for byte that of an uninterrupted run.  No tolerance: the
same seeds give the same doubles, printed the same way."""
import json

import numpy as np
import pandas as pd
import pytest

import balnet
from conftest import SMALL

SWEEP = {"trial": range(1, 7), "duration": "500 ms"}


def stop_after_two(done, total):
    """Ctrl-C once two items are in (the progress callback's exception cancels the run like Ctrl-C)."""
    if done >= 2:
        raise KeyboardInterrupt


def test_resume_equals_uninterrupted(tmp_path):
    m = balnet.compile(SMALL)
    full = m.run(set=SWEEP, threads=1, out=tmp_path / "full", progress=False)
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        m.run(set=SWEEP, threads=1, out=cut, progress=stop_after_two)
    assert json.loads((cut / "run.json").read_text())["complete"] is False
    assert (cut / "points.csv").read_bytes() != (tmp_path / "full" / "points.csv").read_bytes()

    seen = []
    r = m.run(set=SWEEP, threads=1, out=cut, resume=True, progress=lambda d, t: seen.append((d, t)))
    assert (cut / "points.csv").read_bytes() == (tmp_path / "full" / "points.csv").read_bytes()
    assert json.loads((cut / "run.json").read_text())["complete"] is True
    resumed = [i for i in range(6) if r._results.resumed(i)]
    ran = [i for i in range(6) if r._results.done(i)]
    assert len(resumed) >= 2 and ran and sorted(resumed + ran) == list(range(6))
    assert seen[-1] == (6, 6) and seen[0][0] > len(resumed) - 1   # progress counts the earlier items
    pd.testing.assert_frame_equal(r.points, pd.read_csv(tmp_path / "full" / "points.csv",
                                                        float_precision="round_trip"))
    pd.testing.assert_frame_equal(r.points, full.points)
    # the items this call ran are in memory; the earlier ones say where their rows are
    trial = ran[0] + 1
    for a, b in zip(r.spikes("E", trial=trial), full.spikes("E", trial=trial)):
        assert np.array_equal(a, b)
    with pytest.raises(LookupError, match="resumed"):
        r.spikes("E", trial=resumed[0] + 1)


def test_resume_refuses_other_runs(tmp_path):
    m = balnet.compile(SMALL)
    with pytest.raises(ValueError, match="needs out"):
        m.run(set=SWEEP, resume=True, progress=False)
    with pytest.raises(KeyboardInterrupt):
        m.run(set=SWEEP, threads=1, out=tmp_path / "cut", progress=stop_after_two)
    with pytest.raises(balnet.RunError):        # another seed: another run, which the folder refuses
        m.run(set=SWEEP, seed=99, threads=1, out=tmp_path / "cut", resume=True, progress=False)
