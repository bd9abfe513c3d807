"""Running the KEEL benchmark: the folds, one (set, fold) task, its scores and the run log.

A task fits every row still missing for one (set, fold) in one process (their samplers share
the cache of :mod:`keel.rows`) and returns one record per row: the scores of each classifier on
the test fold, each fit's seconds as if it had run alone, the seconds and failures of the
sampler fits the row used, and the classifiers for which ``TunedThresholdClassifierCV`` refused
and the plain classifier was used. Records are the lines of ``runs.jsonl``; a rerun skips
those there. The budgeted rows (CTGAN) run last, one set at a time, in ``budget_order``, while
the seconds their logged fits took stay under the budget.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import data
from .rows import CLASSIFIERS, LEDGER, ROWS, Context, clear_cache, touched_fits

PROTOCOL = "keel-v2"  # the records of the earlier 14-set benchmark have no protocol
N_SPLITS, N_REPEATS = 5, 3
CTGAN_BUDGET_SECONDS = 4 * 3600  # summed CTGAN fit seconds: at ~14 s a fit, 15 a set, ~70 sets
BUDGET_SEED = 29
METRICS = ["balanced_accuracy", "roc_auc", "g_mean", "f1", "brier", "log_loss"]
LOWER_IS_BETTER = {"brier", "log_loss"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------- scores
def scores(y_true, pred, proba=None, decision=None):
    """The six metrics of one test fold. ``pred`` are the predicted labels (the tuned threshold
    where there is one); ``proba`` the positive-class probability. Without ``predict_proba``,
    ROC AUC takes ``decision`` and the Brier score and log-loss are NaN. scikit-learn clips
    probabilities at machine epsilon for the log-loss, so a confident mistake (a decision
    tree's leaf, 5 neighbours of the other class) costs about 36 nats."""
    from sklearn.metrics import (
        balanced_accuracy_score,
        brier_score_loss,
        f1_score,
        log_loss,
        recall_score,
        roc_auc_score,
    )

    sensitivity = recall_score(y_true, pred, pos_label=1, zero_division=0)
    specificity = recall_score(y_true, pred, pos_label=0, zero_division=0)
    ranking = proba if proba is not None else decision
    return {"balanced_accuracy": float(balanced_accuracy_score(y_true, pred)),
            "roc_auc": float(roc_auc_score(y_true, ranking)),
            "g_mean": float(np.sqrt(sensitivity * specificity)),
            "f1": float(f1_score(y_true, pred, zero_division=0)),
            "brier": float(brier_score_loss(y_true, proba)) if proba is not None else np.nan,
            "log_loss": float(log_loss(y_true, proba, labels=[0, 1]))
            if proba is not None else np.nan}


def fit_and_score(model, X_train, y_train, X_test, y_test):
    """``(scores, seconds)``: the seconds of ``model.fit`` as if every cached sampler fit it
    used had run in it."""
    spent, charged = LEDGER["spent"], LEDGER["charged"]
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = (time.perf_counter() - start - (LEDGER["spent"] - spent)
               + (LEDGER["charged"] - charged))
    proba = model.predict_proba(X_test)[:, 1] if hasattr(model, "predict_proba") else None
    decision = model.decision_function(X_test) if proba is None else None
    return scores(y_test, model.predict(X_test), proba, decision), seconds


def run_row(row, ctx, fold_data):
    """One row's record on one fold, for every classifier it applies to."""
    record = {"protocol": PROTOCOL, "row": row.name, "seed": ctx.seed, "scores": {},
              "fit_seconds": {}, "threshold_fallback": [], "errors": {}}
    mark = len(LEDGER["touched"])
    for clf in CLASSIFIERS:
        model = row.make(clf, ctx)
        if model is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                record["scores"][clf], record["fit_seconds"][clf] = fit_and_score(
                    model, *fold_data)
        except Exception as exc:  # noqa: BLE001 - a row that fails is recorded, not fatal
            record["errors"][clf] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        if getattr(model, "fell_back_", False):
            record["threshold_fallback"].append(clf)
    seconds, failures = touched_fits(mark)
    record.update(sampler_seconds=seconds, failed_fits=len(failures),
                  failed=failures[0] if failures else None)
    return record


def run_task(task):
    """The records of the rows ``task`` names on one (set, fold)."""
    name, fold, train, test, row_names, quick = task
    X, y = data.load_set(name)
    categorical = tuple(i for i, c in enumerate(X.columns)
                        if isinstance(X[c].dtype, pd.CategoricalDtype))
    ctx = Context(seed=fold, kind=data.kind(X), categorical=categorical, quick=quick)
    fold_data = (X.iloc[train].reset_index(drop=True), y[train],
                 X.iloc[test].reset_index(drop=True), y[test])
    clear_cache()
    records = []
    for row_name in row_names:
        record = run_row(ROWS[row_name], ctx, fold_data)
        records.append({"dataset": name, "fold": fold, **record})
    clear_cache()
    return records


# ---------------------------------------------------------------------- planning
def splits(name, n_splits=N_SPLITS, n_repeats=N_REPEATS):
    """The (train, test) indices of every fold of set ``name``, repeat after repeat."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    X, y = data.load_set(name)
    cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=0)
    return list(cv.split(X, y))


def applies(row_name, name):
    return data.describe(name)["kind"] in ROWS[row_name].kinds


def plan(sets, rows, done, folds, quick=False):
    """Tasks for the rows of ``rows`` missing from ``done`` on ``folds`` (indices), one whole
    fold of every set after another, so that an interrupted run leaves complete repeats."""
    cuts = {name: splits(name, *folds) for name in sets}
    tasks = []
    for fold in range(folds[0] * folds[1]):
        for name in sets:
            todo = [r for r in rows if applies(r, name) and (name, fold, r) not in done]
            if todo:
                tasks.append((name, fold, *cuts[name][fold], todo, quick))
    return tasks


def budget_order(sets):
    """The order in which the budgeted rows visit the sets: the development sets first, then
    the others in a seeded random order (drawn without looking at any result)."""
    dev = [s for s in sets if s in data.DEV_SETS]
    rest = sorted(s for s in sets if s not in data.DEV_SETS)
    return dev + [rest[i] for i in np.random.default_rng(BUDGET_SEED).permutation(len(rest))]


def spent(done, row_name):
    return sum(r["sampler_seconds"] for r in done.values() if r["row"] == row_name)


# ---------------------------------------------------------------------- the log and workers
def read_log(path):
    """The records of ``runs.jsonl`` by (set, fold, row); refuses a log of another protocol."""
    done = {}
    path = Path(path)
    if path.exists():
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("protocol") != PROTOCOL:
                raise SystemExit(f"{path} holds runs of another protocol than {PROTOCOL}: "
                                 "move it away (git mv) before this run.")
            done[(record["dataset"], record["fold"], record["row"])] = record
    return done


def one_thread():
    """One thread per process (the workers share the cores), and the samplers' packages
    imported, so that no fit time includes an import."""
    import importlib

    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    for module in ("ganbalance", "imblearn.over_sampling", "smote_variants", "ctgan"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


class Workers:
    """``jobs`` worker processes of one thread each (spawned once, for every batch of tasks),
    or this process when ``jobs`` is 1."""

    def __init__(self, jobs):
        self.jobs, self.pool = jobs, None

    def __enter__(self):
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"  # inherited by the spawned workers before numpy loads
        if self.jobs <= 1:
            one_thread()
        else:
            import multiprocessing as mp

            self.pool = mp.get_context("spawn").Pool(self.jobs, initializer=one_thread)
        return self

    def map(self, tasks):
        return (map(run_task, tasks) if self.pool is None
                else self.pool.imap_unordered(run_task, tasks))

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()


def execute(tasks, workers, log_path, done):
    """Run ``tasks`` on ``workers``, appending each record to the log as it comes."""
    with Path(log_path).open("a") as handle:
        for records in workers.map(tasks):
            for record in records:
                handle.write(json.dumps(record) + "\n")
                done[(record["dataset"], record["fold"], record["row"])] = record
            handle.flush()


def run_budgeted(sets, row_name, budget, folds, workers, log_path, done):
    """The budgeted row, set after set in ``budget_order``, while its logged seconds stay
    under ``budget`` (a set started is finished)."""
    for name in budget_order([s for s in sets if applies(row_name, s)]):
        if spent(done, row_name) >= budget:
            break
        tasks = plan([name], [row_name], done, folds)
        if tasks:
            print(f"{row_name} on {name} ({spent(done, row_name):.0f} of {budget:.0f} s "
                  "spent)", flush=True)
            execute(tasks, workers, log_path, done)
