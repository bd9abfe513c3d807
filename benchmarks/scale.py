"""Generate 20 million new table rows with Dask: rate on 1 and 2 local workers, against one process.

Protocol. A synthetic mixed table of 16 columns (6 float, 3 int, 3 category, 2 bool, 2 string)
is the input, a Dask DataFrame of 1,000,000 rows in 10 partitions, built on the fly, 2% of them
in the minority class. ``ParallelOverSampler`` fits the default ``GANOverSampler`` on its
stratified sample (at most 5,000 rows per class). Then 20,000,000 new minority rows (about
1.9 GiB as pandas DataFrames), in chunks of 100,000 rows, are generated; every chunk is written
to Parquet (a temporary folder, deleted after each run) and hashed where it was generated, and
only the hashes come back:

* **single process**: ``sample_chunks`` (``sampler.sample`` chunk after chunk) in this process,
  with one torch thread and with one per core; the faster is the baseline;
* **Dask**: ``sample_partitions`` on a fresh ``LocalCluster`` of 1 and then 2 worker processes
  (one thread each, ``memory_limit`` 1 GiB per worker, about half the output's size), timed
  from submission to the last hash (cluster start excluded). The workers run without
  distributed's default ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc map and unmap every
  large array; one more run on 2 workers keeps it, to show what it costs.

Peak memory per worker is each worker process's peak resident set during the run (Linux's
``VmHWM``, reset before each run), next to its resident set before the run. The same seed also
runs on 4 workers and with chunks 4 times smaller (1,000,000 rows each). Targets: 2 workers at
least 1.7 times the single-process rate; a worker's peak memory below its limit and no more than
1.1 times as high for 20,000,000 rows as for 1,000,000 (it grows with the chunk, not the output);
identical rows (partition hashes) on 1, 2 and 4 workers and in memory.

The documented run writes ``benchmarks/results/scale/scale.json`` and ``scale.md``;
``--quick`` (100,000 rows in chunks of 20,000 on one 2-worker cluster, the 1-worker runs
restricted to one of its workers, no 4-worker run) writes to the git-ignored
``benchmarks/results/quick/scale/``, or to ``--out``. Run it on an otherwise idle machine: the
results record the load average at the start and at the end.

    python benchmarks/scale.py            # about 7 minutes on 2 CPU cores
    python benchmarks/scale.py --quick    # a smoke test of about 15 seconds
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "scale"
SPEEDUP_TARGET = 1.7
FULL = dict(rows=20_000_000, chunk_size=100_000, input_rows=1_000_000, input_partitions=10,
            identity_rows=1_000_000, n_steps="auto", memory_limit=2**30)
QUICK = dict(rows=100_000, chunk_size=20_000, input_rows=20_000, input_partitions=4,
             identity_rows=40_000, n_steps=30, memory_limit=2**30)

_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

CATEGORIES = {"segment": list("ABCDEF"), "channel": ["web", "app", "shop"],
              "month": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                        "nov", "dec"]}


def make_partition(number, n_rows):
    """One partition of the input table, from its number alone (the same on any machine)."""
    rng = np.random.default_rng([7, number])
    y = (rng.random(n_rows) < 0.02).astype(np.int64)
    shift = 0.8 * y
    data = {f"f{j}": rng.normal(shift, 1.0 + 0.5 * j) for j in range(4)}
    data["amount"] = rng.lognormal(3.0 + shift, 1.0)
    data["ratio"] = rng.uniform(0.0, 1.0, n_rows) ** (1 + y)
    data["age"] = rng.integers(18, 91, n_rows)
    data["visits"] = rng.poisson(3.0 + 2.0 * y)
    data["items"] = rng.integers(0, 500, n_rows)
    for name, levels in CATEGORIES.items():
        data[name] = pd.Categorical(rng.choice(levels[:-1] if name == "segment" else levels,
                                               n_rows), categories=levels)
    data["member"] = rng.random(n_rows) < 0.3 + 0.3 * y
    data["verified"] = rng.random(n_rows) < 0.8
    data["country"] = rng.choice(["NO", "IT", "PE", "FR", "DE", "ES", "BR", "JP"], n_rows)
    data["device"] = rng.choice(["ios", "android", "web", "other"], n_rows)
    frame = pd.DataFrame(data)
    frame["label"] = y
    frame.index = pd.RangeIndex(number * n_rows, (number + 1) * n_rows)
    return frame


def fit(config):
    """The fitted ParallelOverSampler and the input's meta, on the Dask input table."""
    import dask.dataframe as dd

    from ganbalance import GANOverSampler
    from ganbalance.dask import ParallelOverSampler

    n_part = config["input_rows"] // config["input_partitions"]
    frame = dd.from_map(make_partition, range(config["input_partitions"]), args=[n_part])
    X, y = frame.drop(columns="label"), frame["label"]
    sampler = ParallelOverSampler(GANOverSampler(n_steps=config["n_steps"], device="cpu"),
                                  chunk_size=config["chunk_size"], random_state=0)
    start = time.perf_counter()
    sampler.fit(X, y)
    return sampler, X._meta, time.perf_counter() - start


def digest(frame):
    """A hash of a partition's rows and index, as an unsigned 64-bit int."""
    return int(pd.util.hash_pandas_object(frame, index=True).to_numpy().sum(dtype=np.uint64))


def write_and_digest(frame, folder, number):
    """The work done with every chunk: write it to Parquet, return its hash."""
    frame.to_parquet(Path(folder) / f"part.{number:05d}.parquet", index=False)
    return digest(frame)


def _write_partition(frame, folder, partition_info=None):
    """``write_and_digest`` as a Dask partition function: one hash per partition."""
    number = partition_info["number"] if partition_info else 0
    return pd.Series([write_and_digest(frame, folder, number)], dtype=np.uint64)


def single_process(sampler, meta, config, threads, rows):
    """``sample`` chunk after chunk in this process (``sample_chunks``), with ``threads`` torch
    threads; each chunk indexed and cast as Dask does it, written and hashed."""
    from ganbalance.dask import sample_chunks

    before, digests = torch.get_num_threads(), []
    torch.set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory(prefix="ganbalance-scale-") as folder:
            start, first = time.perf_counter(), 0
            chunks = sample_chunks(sampler, {1: rows}, chunk_size=config["chunk_size"],
                                   random_state=0)
            for k, (chunk, _) in enumerate(chunks):
                chunk = chunk.astype(meta.dtypes.to_dict())
                chunk.index = pd.RangeIndex(first, first + len(chunk))
                first += len(chunk)
                digests.append(write_and_digest(chunk, folder, k))
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    return {"threads": threads, "rows": rows, "seconds": seconds,
            "rows_per_second": rows / seconds, "digests": digests}


def _worker_memory(reset):
    """This worker's pid, resident set and peak resident set (bytes), read on the worker.

    ``reset``: then restart the peak from the current resident set (Linux's ``clear_refs``),
    so that the next reading is the peak of what runs in between. Where that is refused the
    peak is the process's since it started (``ru_maxrss``).
    """
    import ganbalance.dask  # noqa: F401  # what every task needs, imported before measuring

    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text()
                  .splitlines() if ":" in line)
    kib = {key: int(status[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}
    since = "the last reset"
    if reset:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            since = "process start"
    peak = max(kib["VmHWM"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
               if since == "process start" else 0)
    return {"pid": os.getpid(), "rss": kib["VmRSS"], "peak": peak, "peak_since": since,
            "malloc_trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def dask_run(client, workers, sampler, meta, rows, chunk_size):
    """Generate ``rows`` new rows on ``workers`` (addresses), each partition written to Parquet
    and hashed on its worker; only the hashes come back."""
    from ganbalance.dask import sample_partitions

    X_new, _ = sample_partitions(sampler.estimator_, {1: rows}, meta=meta,
                                 chunk_size=chunk_size, random_state=0)
    idle = client.run(_worker_memory, True, workers=workers)
    with tempfile.TemporaryDirectory(prefix="ganbalance-scale-") as folder:
        work = X_new.map_partitions(_write_partition, folder, meta=pd.Series(dtype=np.uint64))
        start = time.perf_counter()
        digests = client.compute(work, workers=workers, allow_other_workers=False).result()
        seconds = time.perf_counter() - start
    after = client.run(_worker_memory, False, workers=workers)
    return {"workers": len(workers), "rows": rows, "chunk_size": chunk_size,
            "seconds": seconds, "rows_per_second": rows / seconds,
            "idle_rss_bytes": [idle[w]["rss"] for w in workers],
            "peak_rss_bytes": [after[w]["peak"] for w in workers],
            "peak_since": after[workers[0]]["peak_since"],
            "malloc_trim_threshold": after[workers[0]]["malloc_trim_threshold"],
            "restarts": sum(idle[w]["pid"] != after[w]["pid"] for w in workers),
            "digests": [int(d) for d in digests]}


def cluster(n_workers, memory_limit, trim=None):
    """A local cluster of one-thread worker processes. ``trim``: the workers'
    ``MALLOC_TRIM_THRESHOLD_``; None unsets distributed's default (65536), which makes glibc
    map and unmap every large array and costs about a quarter of the generation speed here."""
    import dask
    from distributed import Client, LocalCluster

    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # a nanny sets it in its parent's environ
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": trim}):
        local = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                             memory_limit=memory_limit, dashboard_address=None,
                             silence_logs=logging.CRITICAL)
    client = Client(local)
    client.run(_worker_memory, False)  # every worker imports ganbalance before any timing
    return local, client


def run_dask(sampler, meta, config, quick):
    """The runs on local worker processes, by name: ``quarter`` (a fresh worker,
    ``identity_rows`` in chunks 4 times smaller), then on another fresh worker ``small`` (the
    same in chunks of ``chunk_size``) and ``1`` (``rows``, timed); ``2`` (``rows`` on 2
    workers, timed), ``4`` (``identity_rows`` on 4 workers) and ``2 default``
    (``identity_rows`` on 2 workers with distributed's default ``MALLOC_TRIM_THRESHOLD_``).
    ``quick``: all on one 2-worker cluster, but ``4`` and ``2 default``."""
    rows, chunk, small = config["rows"], config["chunk_size"], config["identity_rows"]
    plan = [(1, None, [("quarter", small, chunk // 4)]),
            (1, None, [("small", small, chunk), ("1", rows, chunk)]),
            (2, None, [("2", rows, chunk)]), (4, None, [("4", small, chunk)]),
            (2, 65536, [("2 default", small, chunk)])]
    if quick:  # one 2-worker cluster; '1 worker' runs restrict the tasks to one of them
        plan = [(2, None, plan[0][2] + plan[1][2] + plan[2][2])]
    runs = {}
    for n_cluster, trim, todo in plan:
        local, client = cluster(n_cluster, config["memory_limit"], trim)
        with local, client:
            addresses = sorted(client.scheduler_info()["workers"])
            for name, n_rows, chunk_size in todo:
                n = int(name[0]) if name[0].isdigit() else 1
                runs[name] = dask_run(client, addresses[:n], sampler, meta, n_rows, chunk_size)
                print(f"{name}: {n} worker(s), {n_rows:,} rows in chunks of {chunk_size:,}: "
                      f"{runs[name]['rows_per_second']:,.0f} rows/s", flush=True)
    return runs


def memory_summary(runs, config):
    """Peak resident set per worker: highest over the timed runs, and how it depends on the
    number of rows (same chunks) and on the chunk size (same rows), on one worker."""
    above_idle = {name: max(0, runs[name]["peak_rss_bytes"][0] - runs[name]["idle_rss_bytes"][0])
                  for name in ("small", "quarter", "1")}
    peak = max(max(runs[name]["peak_rss_bytes"]) for name in ("1", "2"))
    growth = runs["1"]["peak_rss_bytes"][0] / runs["small"]["peak_rss_bytes"][0]
    return {"peak_rss_bytes": peak, "peak_at_rows_over_peak_at_identity_rows": growth,
            "peak_above_idle_bytes": above_idle,
            "idle_rss_bytes": max(max(runs[n]["idle_rss_bytes"]) for n in ("1", "2")),
            "limit_bytes": config["memory_limit"], "peak_since": runs["1"]["peak_since"]}


def identity_summary(runs, single):
    """Whether every run's partitions hash alike: the full runs on 1 and 2 workers and in
    memory, and the first partitions of those against the runs on ``identity_rows``."""
    reference = single[0]["digests"]
    full = [runs["1"]["digests"], runs["2"]["digests"]]
    prefix = [runs[name]["digests"] for name in ("small", "4", "2 default") if name in runs]
    prefix += [s["digests"] for s in single if s is not single[0]]
    identical = (all(d == reference for d in full)
                 and all(d == reference[:len(d)] for d in prefix))
    return {"identical": identical, "partitions": len(reference),
            "workers_compared": sorted({runs[n]["workers"] for n in ("small", "1", "2", "4")
                                        if n in runs})}


def output_size(sampler, meta, chunk_size):
    """Bytes per generated row as a pandas DataFrame with the input's dtypes."""
    from ganbalance.dask import sample_chunk

    chunk, _ = sample_chunk(sampler, {1: chunk_size}, 0, chunk_size=chunk_size, random_state=0)
    chunk = chunk.astype(meta.dtypes.to_dict())
    return float(chunk.memory_usage(deep=True, index=False).sum() / len(chunk))


def summarise(config, fit_seconds, sampler, meta, single, runs):
    """The results dictionary: rates, ratios, memory, identity and the targets."""
    best = max(single, key=lambda run: run["rows_per_second"])
    bytes_per_row = output_size(sampler.estimator_, meta, config["chunk_size"])
    memory, identity = memory_summary(runs, config), identity_summary(runs, single)
    speedup = runs["2"]["rows_per_second"] / best["rows_per_second"]
    met = {"speedup": speedup >= SPEEDUP_TARGET,
           "memory_below_limit": memory["peak_rss_bytes"] < config["memory_limit"],
           "memory_bounded_by_chunk": memory["peak_at_rows_over_peak_at_identity_rows"] <= 1.1,
           "identical_rows": identity["identical"]}
    for run in [*single, *runs.values()]:
        run.pop("digests")
    return {
        "config": config, "columns": {c: str(t) for c, t in meta.dtypes.items()},
        "fit_seconds": fit_seconds,
        "sample_rows": int(sum(sampler.sample_counts_.values())),
        "output_bytes_in_memory": bytes_per_row * config["rows"], "bytes_per_row": bytes_per_row,
        "single_process": single, "baseline_threads": best["threads"], "dask": runs,
        "rows_per_second": {"single_process": best["rows_per_second"],
                            "1_worker": runs["1"]["rows_per_second"],
                            "2_workers": runs["2"]["rows_per_second"]},
        "speedup_2_workers_vs_single_process": speedup,
        "speedup_2_vs_1_workers": runs["2"]["rows_per_second"] / runs["1"]["rows_per_second"],
        "memory": memory, "identity": identity, "identical_rows": identity["identical"],
        "targets": {"speedup_min": SPEEDUP_TARGET, "memory_limit_bytes": config["memory_limit"],
                    "peak_growth_max": 1.1},
        "targets_met": met,
    }


def _mib(n_bytes):
    return f"{n_bytes / 2**20:,.0f} MiB"


def run_rows(result):
    """The table of runs: time, rate, ratio to the single process, memory per worker."""
    base = result["rows_per_second"]["single_process"]
    lines = ["| run | rows | seconds | rows per second | vs single process | peak memory per "
             "worker (idle before) |", "|---|---|---|---|---|---|"]
    for run in result["single_process"]:
        lines.append(f"| single process: `sample()` chunk by chunk, {run['threads']} torch "
                     f"thread(s) | {run['rows']:,} | {run['seconds']:.1f} | "
                     f"{run['rows_per_second']:,.0f} | {run['rows_per_second'] / base:.2f} | |")
    names = {"small": "Dask, 1 worker", "quarter": "Dask, 1 worker, chunks of {chunk:,}",
             "1": "Dask, 1 worker", "2": "Dask, 2 workers", "4": "Dask, 4 workers",
             "2 default": "Dask, 2 workers, distributed's default `MALLOC_TRIM_THRESHOLD_`"}
    for name, run in result["dask"].items():
        peaks = ", ".join(f"{_mib(p)} ({_mib(i)})" for p, i in
                          zip(run["peak_rss_bytes"], run["idle_rss_bytes"], strict=True))
        lines.append(f"| {names[name].format(chunk=run['chunk_size'])} | {run['rows']:,} | "
                     f"{run['seconds']:.1f} | {run['rows_per_second']:,.0f} | "
                     f"{run['rows_per_second'] / base:.2f} | {peaks} |")
    return lines


def targets_markdown(result):
    met, config, memory = result["targets_met"], result["config"], result["memory"]
    yes = {True: "yes", False: "**no**"}
    identity = result["identity"]
    above = memory["peak_above_idle_bytes"]
    return [
        "", "| target | measured | wanted | met |", "|---|---|---|---|",
        f"| 2 workers / single process (its faster row) | "
        f"{result['speedup_2_workers_vs_single_process']:.2f} | >= {SPEEDUP_TARGET} | "
        f"{yes[met['speedup']]} |",
        f"| 2 workers / 1 worker | {result['speedup_2_vs_1_workers']:.2f} | | |",
        f"| highest peak memory of a worker | {_mib(memory['peak_rss_bytes'])} | below "
        f"`memory_limit`, {_mib(config['memory_limit'])} | {yes[met['memory_below_limit']]} |",
        f"| a worker's peak at {config['rows']:,} rows / at {config['identity_rows']:,} rows | "
        f"{memory['peak_at_rows_over_peak_at_identity_rows']:.2f} | <= 1.1: grows with the "
        f"chunk, not the output | {yes[met['memory_bounded_by_chunk']]} |",
        f"| rows for seed 0 on {', '.join(map(str, identity['workers_compared']))} worker(s) and "
        f"in memory ({identity['partitions']} partition hashes) | "
        f"{'identical' if identity['identical'] else 'different'} | identical | "
        f"{yes[met['identical_rows']]} |",
        "", f"A fresh worker's peak rose above its idle resident set by "
        f"{_mib(above['quarter'])} for {config['identity_rows']:,} rows in chunks of "
        f"{config['chunk_size'] // 4:,}, and another fresh worker's by {_mib(above['small'])} "
        f"for the same rows in chunks of {config['chunk_size']:,}; then by {_mib(above['1'])} "
        f"more for {config['rows']:,} rows (it started where the first run left it: the "
        f"allocator keeps what was freed). Each peak is the run's own (since "
        f"{memory['peak_since']})." + (" In this quick run all three ran on one worker, one "
                                       "after the other: only the full run's are comparable."
                                       if result["quick"] else "") +
        " Worker restarts (a worker over its memory limit is restarted): "
        f"{sum(run['restarts'] for run in result['dask'].values())}.",
    ]


def write_markdown(result, path):
    config = result["config"]
    load = (f"Load average (1 minute) {result['load_before']:.1f} when the run started" +
            (": **the machine was busy with other work**, so the rates are lower and noisier "
             "than on an idle machine" if result["load_before"] > 1.0
             else ", with nothing else running") +
            f"; {result['load_after']:.1f} at the end, this run's own 4 workers included.")
    lines = [results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]),
             "", load, "",
             f"Input: a Dask DataFrame of {config['input_rows']:,} rows and "
             f"{len(result['columns'])} columns (float, int, category, bool, string) in "
             f"{config['input_partitions']} partitions. `ParallelOverSampler` fitted "
             f"`GANOverSampler` on its stratified sample ({result['sample_rows']:,} rows) in "
             f"{result['fit_seconds']:.1f} s. Generated: {config['rows']:,} rows in chunks of "
             f"{config['chunk_size']:,} rows (seed 0), each written to Parquet and hashed where "
             f"it was generated, never collected: {_mib(result['output_bytes_in_memory'])} as "
             f"pandas DataFrames ({result['bytes_per_row']:.0f} bytes per row), against a "
             f"`memory_limit` of {_mib(config['memory_limit'])} per worker (1 thread each). The "
             "workers run without distributed's default `MALLOC_TRIM_THRESHOLD_=65536` (glibc's "
             "own allocation thresholds instead), except in the row that says so.",
             "", *run_rows(result), *targets_markdown(result)]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    clock = results_io.Clock()
    load_before = os.getloadavg()[0]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100,000 rows on one 2-worker cluster: a smoke test")
    parser.add_argument("--out", default=None,
                        help="output folder (default: the committed benchmarks/results/scale "
                             "for the full run, else the git-ignored benchmarks/results/quick/"
                             "scale)")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    # The data are generated, so every full run is the documented one ('idx' says so).
    out, why = results_io.output_path(COMMITTED, full=True, quick=args.quick, source="idx",
                                      out=args.out)
    print(why, flush=True)
    sampler, meta, fit_seconds = fit(config)
    print(f"fit on the stratified sample: {fit_seconds:.1f} s", flush=True)
    # One torch thread (its rows are the reference), and torch's usual one thread per core.
    single = [single_process(sampler.estimator_, meta, config, threads, config["rows"])
              for threads in sorted({1, os.cpu_count() or 1})]
    for run in single:
        print(f"single process, {run['threads']} torch thread(s): "
              f"{run['rows_per_second']:,.0f} rows/s", flush=True)
    runs = run_dask(sampler, meta, config, args.quick)
    result = summarise(config, fit_seconds, sampler, meta, single, runs)
    result.update(quick=args.quick, load_before=load_before, load_after=os.getloadavg()[0],
                  machine=results_io.machine(workers=2, threads=1), wall_seconds=clock.seconds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(result, indent=2))
    write_markdown(result, out / "scale.md")
    print((out / "scale.md").read_text())
    return result


if __name__ == "__main__":
    main()
