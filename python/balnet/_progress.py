"""The progress bar of Model.run when no callback is given: in a Jupyter notebook, an HTML <progress> bar
updated in place under the cell (IPython's display with a display_id: no ipywidgets or tqdm needed); else
the bar `balnet run` draws, on stderr when it is a terminal; else nothing (logs stay clean)."""
import sys
import time


class _Bar:
    def __init__(self, stream):
        self.stream = stream
        self.start = time.monotonic()

    def __call__(self, done, total):
        el = time.monotonic() - self.start
        eta = el / done * (total - done) if done else 0.0
        w = 30
        fill = w * done // total if total else w
        self.stream.write(f"\r[{'#' * fill}{' ' * (w - fill)}] {done}/{total} items  {el:.0f}s elapsed  "
                          f"ETA {eta:.0f}s   ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


class _NotebookBar:
    """One output under the running cell, replaced at each call (display_id), so a sweep of 100 items leaves
    one bar rather than 100 lines."""

    def __init__(self, display, html):
        self.html = html
        self.start = time.monotonic()
        self.handle = display(html(self._text(0, 1)), display_id=True)

    def _text(self, done, total):
        el = time.monotonic() - self.start
        eta = el / done * (total - done) if done else 0.0
        return (f'<progress value="{done}" max="{total}" style="width: 20em"></progress> '
                f"<code>{done}/{total} items, {el:.0f} s elapsed, ETA {eta:.0f} s</code>")

    def __call__(self, done, total):
        self.handle.update(self.html(self._text(done, total)))


def _notebook():
    """IPython's display and HTML when this runs in a Jupyter kernel (not a terminal IPython), else None."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        if shell is None or "IPKernelApp" not in shell.config:
            return None
        from IPython.display import HTML, display
    except Exception:     # an IPython too old or too odd: no notebook bar, never a failed run
        return None
    return display, HTML


def default_progress():
    """A bar in a Jupyter notebook or on stderr when it is a terminal, else None."""
    nb = _notebook()
    if nb is not None:
        return _NotebookBar(*nb)
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return _Bar(sys.stderr) if tty else None
