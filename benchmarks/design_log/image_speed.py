"""Design search for issue #20 (cheaper default image fit), development seeds only.

Protocol A (digits 1/2/3 with 1/300/300 MNIST training images, all test images of 1/2/3), the
seed's SmallCNN for 15 epochs, development seeds 100.. (the reporting benchmarks use 0..4).
Each variant changes one or two things of the default GANOverSampler; every run logs the fit
time and the classifier's training time *of the same run* (their ratio is the target) and the
balanced accuracy. Resumable: rows already in the log are skipped.

    OMP_NUM_THREADS=1 python benchmarks/design_log/image_speed.py VARIANT [VARIANT ...] --seeds 12
    python benchmarks/design_log/image_speed.py --summary   # writes logs/image_speed.md

The runs were made with other jobs on the machine, so absolute times are inflated; the ratio
compares a fit and a classifier training measured back to back in one process.
"""
import argparse
import collections
import importlib.util
import json
import time
from pathlib import Path

import numpy as np

import ganbalance.gan as gan_module
from ganbalance import GANOverSampler

HERE = Path(__file__).resolve().parent
LOG = HERE / "logs" / "image_speed_runs.jsonl"
spec = importlib.util.spec_from_file_location(
    "ex", HERE.parent.parent / "examples" / "mnist_imbalance.py")
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)


class _Patched:
    """Temporarily set the warp generator's critic width (not a public option)."""

    def __init__(self, d_width):
        self.d_width = d_width

    def __enter__(self):
        self.saved = gan_module.WARP_CRITIC_WIDTH
        gan_module.WARP_CRITIC_WIDTH = self.d_width

    def __exit__(self, *exc):
        gan_module.WARP_CRITIC_WIDTH = self.saved


VARIANTS = {  # name -> (GANOverSampler kwargs, discriminator width)
    "default": ({"n_steps": 800}, 16),  # the default before issue 20
    "steps400": ({"n_steps": 400}, 16),
    "steps200": ({"n_steps": 200}, 16),
    "d8_steps800": ({}, 8),
    "d8_steps400": ({"n_steps": 400}, 8),
    "d8_steps200": ({"n_steps": 200}, 8),
    "d8_steps200_lr4": ({"n_steps": 200, "learning_rate": 4e-4}, 8),
    "d8_steps100": ({"n_steps": 100}, 8),
    "d8_steps100_lr4": ({"n_steps": 100, "learning_rate": 4e-4}, 8),
}


def run(variant, seed, data):
    X_train, y_train, X_test, y_test, _, _ = data
    X, y = ex.make_imbalanced_digits(X_train, y_train, {1: 1, 2: 300, 3: 300}, random_state=seed)
    if variant == "affine":
        sampler = ex.AffineOverSampler(image_shape=ex.IMAGE_SHAPE, random_state=seed)
        patch = _Patched(16)
    else:
        kwargs, width = VARIANTS[variant]
        sampler = GANOverSampler(image_shape=ex.IMAGE_SHAPE, random_state=seed, **kwargs)
        patch = _Patched(width)
    with patch:
        start = time.perf_counter()
        X_fit, y_fit = sampler.fit_resample(X, y)
        fit_s = time.perf_counter() - start
    start = time.perf_counter()
    clf = ex.make_classifier(seed, False).fit(X_fit, y_fit)
    clf_s = time.perf_counter() - start
    return {"variant": variant, "seed": seed, "fit_seconds": fit_s, "clf_seconds": clf_s,
            **ex.scores(y_test, clf.predict(X_test))}


def summary():
    """Paired differences against the old default over the seeds both ran, to logs/*.md."""
    by = collections.defaultdict(dict)
    for row in map(json.loads, LOG.read_text().splitlines()):
        by[row["variant"]][row["seed"]] = row
    base = by["default"]
    lines = ["| variant | seeds | balanced accuracy | minus old default, points (± s.e.) | "
             "fit / SmallCNN training |", "|---|---|---|---|---|"]
    for name, rows in by.items():
        seeds = sorted(set(rows) & set(base))
        diff = 100 * np.array([rows[s]["balanced_accuracy"] - base[s]["balanced_accuracy"]
                               for s in seeds])
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        ratio = np.mean([r["fit_seconds"] / r["clf_seconds"] for r in rows.values()])
        ba = np.mean([r["balanced_accuracy"] for r in rows.values()])
        lines.append(f"| {name} | {len(rows)} | {ba:.4f} | {diff.mean():+.2f} ± {se:.2f} | "
                     f"{ratio:.2f} |")
    out = LOG.with_name("image_speed.md")
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="*")
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        return summary()
    done = set()
    if LOG.exists():
        done = {(r["variant"], r["seed"]) for r in map(json.loads, LOG.read_text().splitlines())}
    _, data = ex.load_data(None, False)
    for seed in range(100, 100 + args.seeds):
        for variant in args.variants:
            if (variant, seed) in done:
                continue
            row = run(variant, seed, data)
            with LOG.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{variant:<18} {seed}: BA {row['balanced_accuracy']:.3f} "
                  f"fit {row['fit_seconds']:.1f}s clf {row['clf_seconds']:.1f}s", flush=True)


if __name__ == "__main__":
    main()
