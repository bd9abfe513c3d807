"""Time GANOverSampler's default fit_resample and its generation throughput.

Protocol: digits 1/2/3 with 1/300/300 MNIST training images (seed 001), default settings on the
CPU. Targets: fit_resample in at most 60 s on 2 CPU cores, and at least 20,000 generated 28x28
images per second. Prints the numbers and writes them to
``benchmarks/results/fit_time.json``.

    python benchmarks/fit_time.py [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from ganbalance import GANOverSampler
from ganbalance.datasets import load_mnist, make_imbalanced_digits

FIT_TARGET_S = 60.0
THROUGHPUT_TARGET = 20_000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "fit_time.json"))
    args = parser.parse_args(argv)

    mnist = load_mnist(args.data_home)
    fits, rates = [], []
    for seed in range(args.repeats):
        X, y = make_imbalanced_digits(mnist.X_train, mnist.y_train, {1: 1, 2: 300, 3: 300},
                                      random_state=seed)
        sampler = GANOverSampler(image_shape=(1, 28, 28), device=args.device, random_state=seed)
        start = time.perf_counter()
        sampler.fit_resample(X, y)
        fits.append(time.perf_counter() - start)
        sampler.sample(1000, y=1)  # warm-up
        start = time.perf_counter()
        sampler.sample(50_000, y=1)
        rates.append(50_000 / (time.perf_counter() - start))
        print(f"seed {seed}: fit_resample {fits[-1]:.1f} s, generation {rates[-1]:,.0f} images/s",
              flush=True)

    result = {
        "protocol": "digits 1/2/3, 1/300/300 MNIST training images, default GANOverSampler",
        "mnist_source": mnist.source,
        "device": args.device,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                   f"{torch.get_num_threads()} torch threads",
        "fit_seconds": {"mean": float(np.mean(fits)), "std": float(np.std(fits)),
                        "runs": fits},
        "images_per_second": {"mean": float(np.mean(rates)), "std": float(np.std(rates)),
                              "runs": rates},
        "targets": {"fit_seconds_max": FIT_TARGET_S, "images_per_second_min": THROUGHPUT_TARGET},
    }
    result["fit_ok"] = result["fit_seconds"]["mean"] <= FIT_TARGET_S
    result["throughput_ok"] = result["images_per_second"]["mean"] >= THROUGHPUT_TARGET
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    fit, rate = result["fit_seconds"], result["images_per_second"]
    out.with_suffix(".md").write_text(
        f"Default `GANOverSampler.fit_resample` on digits 1/2/3 with 1/300/300 MNIST images, "
        f"{result['device']}, {result['machine']}, {len(fits)} runs:\n\n"
        f"| | measured | target |\n|---|---|---|\n"
        f"| fit_resample seconds | {fit['mean']:.1f} ± {fit['std']:.1f} | <= {FIT_TARGET_S:.0f} |\n"
        f"| generated 28x28 images per second | {rate['mean']:,.0f} ± {rate['std']:,.0f} | "
        f">= {THROUGHPUT_TARGET:,} |\n")
    print(f"fit_resample: {np.mean(fits):.1f} ± {np.std(fits):.1f} s "
          f"(target <= {FIT_TARGET_S:.0f} s: {'ok' if result['fit_ok'] else 'MISSED'})")
    print(f"generation: {np.mean(rates):,.0f} ± {np.std(rates):,.0f} images/s "
          f"(target >= {THROUGHPUT_TARGET:,}: {'ok' if result['throughput_ok'] else 'MISSED'})")
    return result


if __name__ == "__main__":
    main()
