"""The notebook example and the notebook progress bar.  The notebook (examples/python/paper_2x2.ipynb) is what
its generator writes (no hand edits drifting from make_notebook.py) and its code cells are valid Python;
running it takes the 2x2's 15 s and is left to examples/.  In a Jupyter kernel, run() draws one HTML bar
under the cell, updated in place (checked against a stand-in for IPython, which Debian's python3 lacks
here)."""
import ast
import json
import os
import sys
import types

import balnet
from balnet import _progress
from conftest import SMALL, SRC

EX = os.path.join(SRC, "examples", "python")


def test_notebook_is_generated_and_parses():
    sys.path.insert(0, EX)
    try:
        import make_notebook
    finally:
        sys.path.remove(EX)
    with open(os.path.join(EX, "paper_2x2.ipynb")) as f:
        text = f.read()
    assert text == make_notebook.text(), "run examples/python/make_notebook.py after editing its cells"
    nb = json.loads(text)
    assert nb["nbformat"] == 4 and nb["cells"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 5
    for c in code:
        assert c["outputs"] == [] and c["execution_count"] is None
        src = "".join(c["source"])
        ast.parse("\n".join(l for l in src.split("\n") if not l.startswith("%")))   # IPython magics aside


class _Handle:
    def __init__(self, log):
        self.log = log

    def update(self, obj):
        self.log.append(("update", obj))


def test_notebook_progress_bar(monkeypatch):
    log = []
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    display_mod = types.ModuleType("IPython.display")
    display_mod.HTML = lambda s: ("html", s)

    def display(obj, display_id=False):
        assert display_id is True
        log.append(("display", obj))
        return _Handle(log)
    display_mod.display = display
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython.display = display_mod
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)

    balnet.compile(SMALL).run(set={"trial": range(1, 4), "duration": "50 ms"}, threads=1)
    kinds = [kind for kind, _ in log]
    assert kinds[0] == "display" and len(kinds) >= 2 and set(kinds[1:]) == {"update"}   # one bar, updated
    assert 'value="3" max="3"' in log[-1][1][1]
    # a terminal IPython (no kernel) gets no notebook bar
    shell.config = {}
    assert _progress._notebook() is None
