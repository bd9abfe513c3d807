"""Accuracy before and after the cheaper default image fit (issue 20), side by side.

Reads the results files as they were committed before the change (copied, unedited, into
``logs/before_issue20/``) and the current ones written by the documented full runs of
``benchmarks/tiny_class.py``, ``examples/mnist_imbalance.py`` and
``benchmarks/deepsmote_mnist.py``; writes ``logs/before_after_issue20.md``. Only the rows that
use the default image GAN changed; the affine row is shown as the seed-noise yardstick (same
code before and after).

    python benchmarks/design_log/before_after_issue20.py
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BEFORE = HERE / "logs" / "before_issue20"
FILES = {  # name -> (before file, current file)
    "tiny_class": ("benchmarks_tiny_class.json", ROOT / "benchmarks/results/tiny_class.json"),
    "mnist_imbalance": ("examples_mnist_imbalance_results.json",
                        ROOT / "examples/results/mnist_imbalance/results.json"),
    "deepsmote": ("benchmarks_deepsmote_mnist.json",
                  ROOT / "benchmarks/results/deepsmote_mnist.json"),
    "deepsmote_epochs": ("benchmarks_deepsmote_mnist_epochs.json",
                         ROOT / "benchmarks/results/deepsmote_mnist_epochs.json"),
}


def _cell(stat, scale=1.0, digits=3):
    return f"{scale * stat['mean']:.{digits}f} ± {scale * stat['std']:.{digits}f}"


def _balanced_rows(before, after, name):
    """Rows of protocol A files: balanced accuracy per (method, minority count)."""
    rows = []
    for b in before["summary"]:
        if b["method"] not in ("affine", "gan", "gan_quantized", "gan_per_class",
                               "gan_no_augment") or not b.get("ran", True):
            continue
        a = next(e for e in after["summary"] if e["method"] == b["method"]
                 and e.get("n_minority", 1) == b.get("n_minority", 1))
        rows.append(f"| {name} | {b['label']}, {b.get('n_minority', 1)} image(s) of digit 1 | "
                    f"{_cell(b['balanced_accuracy'])} | {_cell(a['balanced_accuracy'])} |")
    return rows


def _deepsmote_rows(before, after, name):
    rows = []
    for method in ("affine", "gan"):
        b, a = before["summary"][method], after["summary"][method]
        rows.append(f"| {name} | {b['label']}, ACSA % (imbalanced test set) | "
                    f"{_cell(b['imbalanced']['ACSA'], digits=2)} | "
                    f"{_cell(a['imbalanced']['ACSA'], digits=2)} |")
    return rows


def main():
    lines = ["| results file | row | before (800 steps, critic width 16) | after (100 steps, "
             "width 8) |", "|---|---|---|---|"]
    for name, (before_name, current) in FILES.items():
        before = json.loads((BEFORE / before_name).read_text())
        after = json.loads(current.read_text())
        rows = (_deepsmote_rows if name.startswith("deepsmote") else _balanced_rows)
        lines += rows(before, after, name)
    out = HERE / "logs" / "before_after_issue20.md"
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
