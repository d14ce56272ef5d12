"""Model errors raise balnet.ModelError with their locations; bad arguments raise clear Python exceptions
(TypeError, ValueError, KeyError, IndexError), never crash the interpreter."""
import pytest

import balnet
from conftest import SMALL

BAD = """population E = lif[100]
simulate { dt = 0.1 ms  duration = 1 s }
"""


def test_model_error_located():
    with pytest.raises(balnet.ModelError) as e:
        balnet.compile(BAD, name="bad.bn")
    d = [x for x in e.value.diagnostics if x.level == "error"][0]
    assert (d.file, d.line, d.col) == ("bad.bn", 1, 16)
    assert "lif" in d.message
    assert "bad.bn:1:16: error:" in str(e.value)
    assert "^" in d.rendered and "population E = lif[100]" in d.rendered


def test_model_error_from_file(tmp_path):
    p = tmp_path / "unit.bn"
    p.write_text(SMALL.replace("rate = 10 Hz", "rate = 10 ms"))
    with pytest.raises(balnet.ModelError) as e:
        balnet.load(p)
    d = [x for x in e.value.diagnostics if x.level == "error"][0]
    assert d.file.endswith("unit.bn") and d.line == 5 and d.col > 0


def test_check_returns_warnings_or_raises():
    m = balnet.compile(SMALL)
    assert isinstance(m.check(), list)
    with pytest.raises(balnet.ModelError):
        m.check(set={"tau_nope": 3})


def test_bad_sets():
    m = balnet.compile(SMALL)
    with pytest.raises(balnet.ModelError, match="tau_nope"):
        m.run(set={"tau_nope": 3}, progress=False)
    with pytest.raises(balnet.ModelError):
        m.run(set={"duration": "5 mV"}, progress=False)      # a value with a wrong unit
    with pytest.raises(balnet.ModelError):
        m.run(set={"N": "[250, "}, progress=False)            # not the language's syntax
    with pytest.raises(TypeError):
        m.run(set={"N": object()}, progress=False)
    with pytest.raises(TypeError):
        m.run(set={"N": True}, progress=False)
    with pytest.raises(ValueError):
        m.run(set={"N": float("nan")}, progress=False)
    with pytest.raises(TypeError):
        m.run(set=[("N", 3)], progress=False)
    with pytest.raises(TypeError):
        m.run(set={3: 3}, progress=False)


def test_bad_run_arguments(tmp_path):
    m = balnet.compile(SMALL)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError):
            m.run(threads=bad, progress=False)
    for bad in (-1, 2**64, 1.0, "1"):
        with pytest.raises(ValueError):
            m.run(seed=bad, progress=False)
    with pytest.raises(TypeError):
        m.run(progress=3)
    with pytest.raises(FileNotFoundError):
        balnet.load(tmp_path / "missing.bn")
    with pytest.raises(TypeError):
        balnet.compile(b"bytes")
    with pytest.raises(ValueError):
        balnet.compile(SMALL, engine="gpu")
    # A folder that already holds results is refused, as by `balnet run --out`.
    m.run(out=tmp_path / "r", progress=False, spikes=False)
    with pytest.raises(balnet.RunError, match="already holds results"):
        m.run(out=tmp_path / "r", progress=False)


def test_bad_result_queries():
    r = balnet.compile(SMALL).run(set={"trial": range(1, 3)}, threads=1, progress=False)
    with pytest.raises(KeyError, match="no population 'Q'"):
        r.spikes("Q")
    with pytest.raises(TypeError):
        r.spikes(0)
    with pytest.raises(IndexError):
        r.spikes("E", point=1)
    with pytest.raises(IndexError):
        r.spikes("E", trial=3)
    with pytest.raises(IndexError):
        r.spikes("E", trial=0)
    with pytest.raises(TypeError):
        r.spikes("E", point="0")
    with pytest.raises(KeyError, match="no recording"):
        r.trace("E", "nope")
    t, ids = r.spikes("E", trial=2)
    assert len(t) == len(ids) > 0


def test_progress_callback_and_its_exception():
    m = balnet.compile(SMALL)
    seen = []
    m.run(set={"trial": range(1, 4)}, threads=1, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (3, 3) and all(n == 3 for _, n in seen)

    def boom(d, n):
        raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError, match="from the callback"):
        m.run(set={"trial": range(1, 4)}, threads=1, progress=boom)
