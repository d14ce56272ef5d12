"""The progress bar of Model.run when no callback is given: the one `balnet run` draws, on stderr when it
is a terminal (nothing otherwise, so logs and notebooks' captured output stay clean)."""
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


def default_progress():
    """A progress bar on stderr when it is a terminal, else None."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return _Bar(sys.stderr) if tty else None
