"""One-shot MNIST: each digit in turn has a single training image, the other nine 200 each.

For every digit ``d`` and seed, a training set is drawn from the MNIST training images: one
image of ``d`` and 200 of each other digit (``make_imbalanced_digits``, seeded by the seed and
the digit). Each row over-samples it to 200 images per digit, then the seed's SmallCNN (10
classes, 15 epochs, Adam 1e-3, batch 64) is trained on the result and tested on all 10,000 MNIST
test images. Reported: balanced accuracy over the ten digits and the rare digit's recall, mean
over seeds, for each digit, and their averages over the ten digits.

Rows: random over-sampling, affine augmentation (``AffineOverSampler``'s defaults), affine +
elastic augmentation (Simard et al. 2003, with the ``ELASTIC`` setting chosen on development
seeds by ``benchmarks/design_log/one_shot_dev.py``), today's default ``GANOverSampler``, and
``DeformationOverSampler`` (warps learned from the nine other digits). The reporting seeds
(0, 1, 2) are never used to choose a design; the development seeds are 100 and up.

    python benchmarks/one_shot.py            # 3 seeds x 10 digits x 5 rows, 2 processes
    python benchmarks/one_shot.py --quick    # 2 digits, 1 seed, short training: a smoke test

The documented run (MNIST IDX files, every row, 3 seeds) writes ``benchmarks/results/one_shot/``
(``results.json``, ``results.md``, ``runs.jsonl``, ``samples.png``); any other run writes to
the git-ignored ``benchmarks/results/quick/`` or ``local/``, or to ``--out``. ``--resume``
continues an interrupted run.
"""

from __future__ import annotations

import importlib.util
import json
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
import torch
from imblearn.over_sampling import RandomOverSampler
from sklearn.metrics import balanced_accuracy_score, recall_score

from ganbalance import AffineOverSampler, DeformationOverSampler, GANOverSampler, TorchClassifier
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.models import SmallCNN

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "one_shot"
SHAPE = (1, 28, 28)
DIGITS = tuple(range(10))
OTHER_COUNT = 200
REPORT_SEEDS = (0, 1, 2)
#: Elastic distortion of the "affine + elastic" row, chosen on the development seeds
#: (benchmarks/design_log/logs/one_shot_dev.md).
ELASTIC = {"elastic_alpha": 34.0, "elastic_sigma": 4.0}

_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)


def _random(seed, quick):
    return RandomOverSampler(random_state=seed)


def _affine(seed, quick):
    return AffineOverSampler(image_shape=SHAPE, random_state=seed)


def _elastic(seed, quick):
    return AffineOverSampler(image_shape=SHAPE, random_state=seed, **ELASTIC)


def _gan(seed, quick):
    return GANOverSampler(image_shape=SHAPE, random_state=seed,
                          **({"n_steps": 20} if quick else {}))


def _deformation(seed, quick):
    return DeformationOverSampler(image_shape=SHAPE, random_state=seed,
                                  **({"n_pairs": 128} if quick else {}))


#: name -> (label in tables, factory(seed, quick) returning a sampler)
METHODS = {
    "random": ("RandomOverSampler", _random),
    "affine": ("Affine augmentation", _affine),
    "affine_elastic": ("Affine + elastic augmentation", _elastic),
    "gan": ("GANOverSampler (default)", _gan),
    "deformation": ("DeformationOverSampler", _deformation),
}
BASELINE = "affine_elastic"

_DATA = {}


def load_data(data_home, quick):
    """MNIST scaled to [0, 1] (float32); the quick test set is every 10th test image."""
    mnist = load_mnist(data_home)
    X_test, y_test = mnist.X_test, mnist.y_test
    if quick:
        X_test, y_test = X_test[::10], y_test[::10]
    return mnist.source, {"X_train": (mnist.X_train / 255.0).astype(np.float32),
                          "y_train": mnist.y_train,
                          "X_test": (X_test / 255.0).astype(np.float32), "y_test": y_test}


def draw(data, digit, seed):
    """The training set of ``digit`` (the rare one) and ``seed``."""
    counts = {d: 1 if d == digit else OTHER_COUNT for d in DIGITS}
    return make_imbalanced_digits(data["X_train"], data["y_train"], counts,
                                  random_state=1000 * seed + digit)


def run_one(method, digit, seed, quick, factory=None, data=None):
    """One job: resample, train, test. ``factory`` overrides ``METHODS[method]``'s."""
    import time

    data = _DATA if data is None else data
    X, y = draw(data, digit, seed)
    sampler = (factory or METHODS[method][1])(1000 * seed + digit, quick)
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    resample_seconds = time.perf_counter() - start
    start = time.perf_counter()
    clf = TorchClassifier(SmallCNN, image_shape=SHAPE, max_epochs=3 if quick else 15,
                          batch_size=64, lr=1e-3, device="cpu",
                          random_state=1000 * seed + digit).fit(X_res, y_res)
    pred = clf.predict(data["X_test"])
    return {"method": method, "digit": digit, "seed": seed,
            "balanced_accuracy": float(balanced_accuracy_score(data["y_test"], pred)),
            "rare_recall": float(recall_score(data["y_test"], pred, labels=[digit],
                                              average=None)[0]),
            "resample_seconds": resample_seconds,
            "train_seconds": time.perf_counter() - start}


def _init_worker(data_home, quick, threads):
    torch.set_num_threads(threads)
    _DATA.update(load_data(data_home, quick)[1])


def _report(row):
    print(f"{row['method']:<15} digit {row['digit']} seed {row['seed']}: balanced accuracy "
          f"{row['balanced_accuracy']:.4f}, rare recall {row['rare_recall']:.3f} "
          f"({row['resample_seconds']:.1f} s + {row['train_seconds']:.1f} s)", flush=True)


def run_jobs(jobs, args, log, workers, factories=None):
    """Run ``(method, digit, seed)`` jobs, in this process or in ``workers`` processes with
    one torch thread each, logging each row as it ends."""
    factories = factories or {}
    rows = []

    def done(row):
        log.append(row)
        rows.append(row)
        _report(row)

    if workers == 1:
        if not _DATA:  # main() has loaded it; a caller of run_jobs alone has not
            _DATA.update(load_data(args.data_home, args.quick)[1])
        for m, d, s in jobs:
            done(run_one(m, d, s, args.quick, factories.get(m)))
        return rows
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(args.data_home, args.quick, 1)) as pool:
        pending = {pool.submit(run_one, m, d, s, args.quick, factories.get(m))
                   for m, d, s in jobs}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(future.result())
    return rows


def summarise(rows, methods, digits, baseline=BASELINE):
    """Per method: per-digit means over seeds, averages over digits, and the difference to
    ``baseline`` in points of balanced accuracy, paired by digit and seed (over the seeds both
    ran), its mean over digits and its worst digit."""
    summary = {}
    for m in methods:
        per_digit = {}
        for d in digits:
            group = [r for r in rows if r["method"] == m and r["digit"] == d]
            if group:
                per_digit[d] = {k: float(np.mean([r[k] for r in group]))
                                for k in ("balanced_accuracy", "rare_recall",
                                          "resample_seconds")}
                per_digit[d]["n_seeds"] = len(group)
        if not per_digit:
            continue
        entry = {"label": METHODS[m][0] if m in METHODS else m, "per_digit": per_digit}
        for k in ("balanced_accuracy", "rare_recall", "resample_seconds"):
            entry[k] = float(np.mean([v[k] for v in per_digit.values()]))
        summary[m] = entry
    if baseline in summary:
        base = {(r["digit"], r["seed"]): r["balanced_accuracy"] for r in rows
                if r["method"] == baseline}
        for m, entry in summary.items():
            diffs = []  # per digit, the mean over the seeds both rows ran
            for d in entry["per_digit"]:
                paired = [100 * (r["balanced_accuracy"] - base[d, r["seed"]]) for r in rows
                          if r["method"] == m and r["digit"] == d and (d, r["seed"]) in base]
                if paired:
                    diffs.append(float(np.mean(paired)))
            entry["minus_baseline_points"] = {"mean": float(np.mean(diffs)),
                                              "worst": float(np.min(diffs))}
    return summary


def write_markdown(result, path):
    s, digits = result["summary"], result["digits"]
    lines = [results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]), "",
             f"MNIST source: {result['mnist_source']}; one training image of the rare digit, "
             f"{OTHER_COUNT} of each other digit; SmallCNN; {result['n_test_images']:,} test "
             f"images; seeds {', '.join(map(str, result['seeds']))}. Balanced accuracy in %, "
             "mean over seeds.", ""]
    header = "| method | " + " | ".join(f"{d}" for d in digits) + " | mean | minus "
    header += f"{METHODS[BASELINE][0].lower()} (mean / worst digit) | rare recall | resample s |"
    lines += [header, "|---" * (len(digits) + 5) + "|"]
    for e in s.values():
        cells = [f"{100 * e['per_digit'][d]['balanced_accuracy']:.2f}" for d in digits]
        diff = e.get("minus_baseline_points")
        diff = f"{diff['mean']:+.2f} / {diff['worst']:+.2f}" if diff else "n/a"
        lines.append(f"| {e['label']} | " + " | ".join(cells)
                     + f" | {100 * e['balanced_accuracy']:.2f} | {diff} | "
                     f"{e['rare_recall']:.3f} | {e['resample_seconds']:.1f} |")
    lines += ["", "Rare digit's recall, mean over seeds:", "",
              "| method | " + " | ".join(f"{d}" for d in digits) + " |",
              "|---" * (len(digits) + 1) + "|"]
    for e in s.values():
        lines.append(f"| {e['label']} | " + " | ".join(
            f"{e['per_digit'][d]['rare_recall']:.3f}" for d in digits) + " |")
    Path(path).write_text("\n".join(lines) + "\n")


def plot_samples(data, methods, digits, seed, out, quick, n=8):
    """For each digit in ``digits``, the rare image and ``n`` new images from every method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(digits) * len(methods), 1,
                             figsize=(1.0 * (n + 1) + 2.2, 1.05 * len(digits) * len(methods)),
                             squeeze=False)
    for i, d in enumerate(digits):
        X, y = draw(data, d, seed)
        for j, m in enumerate(methods):
            X_res, y_res = METHODS[m][1](1000 * seed + d, quick).fit_resample(X, y)
            rare = X_res[y_res == d]
            row = np.concatenate([rare[:1], rare[1:1 + n]]).reshape(-1, 28, 28)
            strip = np.concatenate([np.pad(t, 1, constant_values=0.5) for t in row], axis=1)
            ax = axes[i * len(methods) + j, 0]
            ax.imshow(strip, cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_ylabel(METHODS[m][0].replace(" augmentation", "").replace(" (default)", ""),
                          rotation=0, ha="right", va="center", fontsize=8)
            if j == 0:
                ax.set_title(f"rare digit {d}: its one training image (left), then {n} new "
                             f"images per method", fontsize=9)
    title = f"One-shot MNIST, seed {seed}"
    if quick:
        title += f" ({results_io.QUICK_NOTE})"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def parse_args(argv):
    parser = results_io.argument_parser(__doc__, "one_shot", quick_help="2 digits, 1 seed, "
                                        "short training", default_seeds=len(REPORT_SEEDS),
                                        workers=True)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--digits", type=int, nargs="+", default=list(DIGITS))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    n_seeds = 1 if args.quick else (args.seeds or len(REPORT_SEEDS))
    seeds = list(range(n_seeds))
    digits = [0, 1] if args.quick else args.digits
    source, data = load_data(args.data_home, args.quick)
    _DATA.update(data)  # for the jobs run in this process
    full = (n_seeds == len(REPORT_SEEDS) and args.methods == list(METHODS)
            and digits == list(DIGITS))
    out, why = results_io.output_path(COMMITTED, full=full, quick=args.quick, source=source,
                                      out=args.out)
    print(why, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    log = results_io.RunLog(out, resume=args.resume,
                            key=lambda r: (r["method"], r["digit"], r["seed"]))
    wall = results_io.ResumedClock(out, resume=args.resume)
    jobs = [(m, d, s) for s in seeds for d in digits for m in args.methods
            if (m, d, s) not in log.done]
    workers = results_io.worker_count(args, len(jobs)) if jobs else 1
    rows = list(log.done.values())
    if jobs:
        rows += run_jobs(jobs, args, log, workers)
    wall.save()
    plot_samples(data, args.methods, digits[:3] if args.quick else (1, 4, 7), seeds[0],
                 out / "samples.png", args.quick)
    result = {"protocol": "one-shot MNIST: 1 image of the rare digit, 200 of each other",
              "quick": args.quick, "mnist_source": source, "seeds": seeds, "digits": digits,
              "n_test_images": int(len(data["y_test"])), "classifier": "SmallCNN, 15 epochs",
              "elastic": ELASTIC, "wall_seconds": wall.seconds,
              "machine": results_io.machine(workers, 1 if workers > 1 else None),
              "summary": summarise(rows, args.methods, digits)}
    (out / "results.json").write_text(json.dumps(result, indent=2))
    write_markdown(result, out / "results.md")
    print((out / "results.md").read_text())
    return result


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
