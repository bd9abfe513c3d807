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
    fit, ratio = result["fit_seconds"], result["fit_to_classifier"]
    readme = " ".join(README.split())
    assert f"{fit['mean']:.1f} ± {fit['std']:.1f} s" in readme
    assert f"{ratio['mean']:.1f} times as long as training the seed's SmallCNN" in readme
    started = " ".join((ROOT / "docs" / "getting_started.md").read_text().split())
    assert (f"The default fit takes about {fit['mean']:.0f} seconds on 2 CPU cores, "
            f"{ratio['mean']:.1f} times") in started
    per_second = re.search(r"about ([\d,]+) generated 28x28 images per second", README)
    assert int(per_second.group(1).replace(",", "")) == round(
        result["images_per_second"]["mean"], -3)
    tables = result["tables"]
    assert (f"A default fit took {tables['median_seconds']:.2f} s (median; at most "
            f"{tables['max_seconds']:.2f} s)") in " ".join(README.split())
    assert f"and {tables['scaling_seconds']['200000']:.2f} s on 200,000 rows" in README


KEEL_NAMES = {"GANOverSampler": "GAN", "GANOverSampler, mode='per_class'": "GAN per_class",
              "ProWSyn (smote-variants)": "ProWSyn", "ADASYN": "ADASYN", "SMOTE": "SMOTE",
              "polynom_fit_SMOTE_star (smote-variants)": "polynom_fit_SMOTE_star",
              "BorderlineSMOTE": "BorderlineSMOTE", "CTGAN (minority rows)": "CTGAN",
              "RandomOverSampler": "ROS", "No resampling": "none"}


def test_keel_table_matches_the_benchmark_results():
    result = json.loads((ROOT / "benchmarks" / "results" / "keel_tabular" /
                         "keel_tabular.json").read_text())
    section = README.split("## Tables: quick start")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines()
            if line.startswith("| ") and "---" not in line and "| sampler" not in line
            and line.split("|")[1].strip() in KEEL_NAMES]
    assert len(rows) == len(KEEL_NAMES)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = KEEL_NAMES[cells[0]]
        ranks = [f"{result['metrics'][m]['mean_rank'][name]:.2f}"
                 for m in ("balanced_accuracy", "roc_auc", "g_mean", "f1")]
        assert cells[1:] == ranks + [f"{result['fit_seconds'][name]:.3f}"], row


def test_tables_page_quotes_the_benchmark_results():
    """The mean ranks the tables page and the design log quote are those of the results."""
    result = json.loads((ROOT / "benchmarks" / "results" / "keel_tabular" /
                         "keel_tabular.json").read_text())
    page = (ROOT / "docs" / "user_guide" / "tables.md").read_text()
    ranks = {m: result["metrics"][m]["mean_rank"] for m in ("balanced_accuracy", "roc_auc", "f1")}
    for metric, name in (("balanced_accuracy", "GAN"), ("balanced_accuracy", "ProWSyn"),
                         ("balanced_accuracy", "ADASYN"), ("balanced_accuracy", "SMOTE"),
                         ("balanced_accuracy", "CTGAN"), ("roc_auc", "GAN"),
                         ("roc_auc", "ProWSyn"), ("roc_auc", "ADASYN"), ("f1", "GAN")):
        assert f"{ranks[metric][name]:.2f}" in page, (metric, name)
    per_classifier = result["metrics"]["roc_auc"]["mean_per_classifier"]
    for classifier in ("LR", "HGB"):
        gap = per_classifier[classifier]["none"] - per_classifier[classifier]["GAN"]
        assert f"{gap:.4f}".rstrip("0") in page, classifier
    assert f"{result['fit_seconds']['GAN']:.1f} s per training fold" in page
    assert f"{result['fit_seconds']['CTGAN']:.1f} s for CTGAN" in page


def test_example_times_match_their_results():
    """The run times the README gives for the examples are the `seconds` their results hold."""
    text = " ".join(README.split())
    for name, phrase in (("mnist_imbalance", "Its last full run took {} minutes"),
                         ("mnist_augment", "3 seeds; {} minutes for its two commands"),
                         ("mnist_denoise", "formulations; {} minutes"),
                         ("mnist_vanilla_gan", "{} s of training")):
        seconds = json.loads((ROOT / "examples" / "results" / name /
                              "results.json").read_text())["seconds"]
        value = round(seconds) if phrase.endswith("training") else round(seconds / 60)
        assert phrase.format(value) in text, name
