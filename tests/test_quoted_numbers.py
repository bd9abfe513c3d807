"""The numbers the README quotes are those of the result files the scripts wrote.

When a benchmark or the main example is re-run, these fail until the README is updated.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_seed001_table_matches_the_example_results():
    results = (ROOT / "examples" / "results" / "mnist_imbalance" / "results.md").read_text()
    count1 = results.split("| method (minority count 1)")[1].split("\n\n")[0].splitlines()
    section = README.split("## Results: seed 001")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines()
            if line.startswith("| ") and "---" not in line and "| method" not in line]
    assert len(rows) == 8
    for row in rows:
        # The results file has one more column, the resample seconds.
        assert any(line.startswith(row.rstrip(" |")) for line in count1), row


def test_deepsmote_table_matches_the_benchmark_results():
    expected = {}
    for name, label in (("deepsmote_mnist", "equal optimiser steps"),
                        ("deepsmote_mnist_epochs", "10 epochs of each row's own set")):
        summary = json.loads((ROOT / "benchmarks" / "results" / f"{name}.json").read_text())
        summary = summary["summary"]
        cells = [f"{summary[m]['balanced']['ACSA']['mean']:.2f}"
                 for m in ("none", "random", "smote", "affine")]
        gan = summary["gan"]["balanced"]["ACSA"]
        cells.append(f"{gan['mean']:.2f} ± {gan['std']:.2f}")
        expected[label] = cells
    for label, cells in expected.items():
        row = next(line for line in README.splitlines() if line.startswith(f"| {label}"))
        assert [c.strip() for c in row.strip("|").split("|")[1:]] == cells


def test_speed_matches_the_fit_time_results():
    result = json.loads((ROOT / "benchmarks" / "results" / "fit_time.json").read_text())
    fit = result["fit_seconds"]
    assert f"{fit['mean']:.1f} ± {fit['std']:.1f} s" in README
    per_second = re.search(r"about ([\d,]+) generated 28x28 images per second", README)
    assert int(per_second.group(1).replace(",", "")) == round(
        result["images_per_second"]["mean"], -3)
