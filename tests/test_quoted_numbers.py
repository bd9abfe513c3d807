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
                 for m in ("none", "random", "smote", "affine", "affine_elastic")]
        for m in ("gan", "deformation"):
            acsa = summary[m]["balanced"]["ACSA"]
            cells.append(f"{acsa['mean']:.2f} ± {acsa['std']:.2f}")
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


def one_shot_summary():
    result = json.loads((ROOT / "benchmarks" / "results" / "one_shot" / "results.json")
                        .read_text())
    return result["summary"]


def test_one_shot_table_matches_the_benchmark_results():
    summary = one_shot_summary()
    section = README.split("## One training image of each digit in turn")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines()
            if line.startswith("| ") and "| sampler" not in line]
    assert len(rows) == len(summary)
    for row, entry in zip(rows, summary.values(), strict=True):
        diff = entry["minus_baseline_points"]
        assert [c.strip() for c in row.strip("|").split("|")] == [
            entry["label"], f"{100 * entry['balanced_accuracy']:.2f}",
            f"{diff['mean']:+.2f} / {diff['worst']:+.2f}", f"{entry['resample_seconds']:.1f}"]


def test_one_shot_reading_matches_the_benchmark_results():
    s = one_shot_summary()
    page = " ".join((ROOT / "docs" / "benchmarks.md").read_text().split())
    reading = page.split("## One image of each digit in turn")[1].split("## ")[0]
    deform, gan = s["deformation"], s["gan"]
    quotes = [
        f"{100 * s['affine_elastic']['balanced_accuracy']:.2f} balanced accuracy",
        f"{-s['affine']['minus_baseline_points']['mean']:.2f} points above plain affine",
        f"{deform['minus_baseline_points']['mean']:+.2f} points on average, "
        f"{deform['minus_baseline_points']['worst']:.2f} on its worst digit",
        f"costs {deform['resample_seconds']:.1f} s",
        f"{-gan['minus_baseline_points']['mean']:.2f} points under affine + elastic",
        f"{100 * (s['affine']['balanced_accuracy'] - gan['balanced_accuracy']):.2f} under "
        "plain affine"]
    for quote in quotes:
        assert quote in reading, quote
    # "above it on every digit": each digit's mean over seeds.
    per_digit = s["affine_elastic"]["per_digit"]
    assert all(per_digit[d]["balanced_accuracy"] > v["balanced_accuracy"]
               for d, v in s["affine"]["per_digit"].items())
    runs = [json.loads(line) for line in (ROOT / "benchmarks" / "results" / "one_shot" /
                                          "runs.jsonl").read_text().splitlines()]
    elastic = {(r["digit"], r["seed"]): r["balanced_accuracy"] for r in runs
               if r["method"] == "affine_elastic"}
    pairs = [r["balanced_accuracy"] > elastic[r["digit"], r["seed"]] for r in runs
             if r["method"] == "deformation"]
    assert f"wins {sum(pairs)} of the {len(pairs)} digit-seed pairs" in reading


def test_deepsmote_reading_matches_the_benchmark_results():
    steps, epochs = (json.loads((ROOT / "benchmarks" / "results" / f"{name}.json").read_text())
                     for name in ("deepsmote_mnist", "deepsmote_mnist_epochs"))
    page = " ".join((ROOT / "docs" / "benchmarks.md").read_text().split())
    reading = page.split("## DeepSMOTE's imbalanced MNIST")[1].split("## ")[0]

    def acsa(result, method, test="balanced"):
        return result["summary"][method][test]["ACSA"]

    gains = [acsa(r, "gan", t)["mean"] - acsa(r, m, t)["mean"] for r in (steps, epochs)
             for m in ("random", "smote") for t in ("balanced", "imbalanced")]
    gan_s, gan_e = acsa(steps, "gan"), acsa(epochs, "gan")
    quotes = [
        f"took {steps['wall_seconds'] / 60:.1f} and {epochs['wall_seconds'] / 60:.1f} minutes",
        f"by {min(gains):.1f} to {max(gains):.1f} points",
        f"{gan_s['mean']:.2f} against {acsa(steps, 'affine')['mean']:.2f} balanced ACSA at "
        f"equal steps, {gan_e['mean']:.2f} against {acsa(epochs, 'affine')['mean']:.2f}",
        f"reaches {gan_e['mean']:.2f} ± {gan_e['std']:.2f}",
        f"reaches {gan_s['mean']:.2f} ± {gan_s['std']:.2f}",
        f"(+{acsa(epochs, 'affine')['mean'] - acsa(steps, 'affine')['mean']:.2f} and "
        f"+{gan_e['mean'] - gan_s['mean']:.2f})",
        f"{acsa(steps, 'affine_elastic')['mean']:.2f} and {acsa(steps, 'deformation')['mean']:.2f}"
        f" balanced ACSA at equal steps, {acsa(epochs, 'affine_elastic')['mean']:.2f} and "
        f"{acsa(epochs, 'deformation')['mean']:.2f} at 10 epochs"]
    for quote in quotes:
        assert quote in reading, quote
    seeds = [r["balanced"]["ACSA"] for r in epochs["runs"] if r["method"] == "gan"]
    assert min(seeds) > 97.5  # "every seed is above 97.5"
    lift = max(acsa(r, m)["mean"] - acsa(r, "affine")["mean"] for r in (steps, epochs)
               for m in ("affine_elastic", "deformation"))
    assert f"at most {lift:.2f} points above plain affine" in reading
    best = max(acsa(steps, m)["mean"] for m in steps["summary"])
    assert f"the best row there is {best:.2f}" in reading


def test_benchmarks_page_quotes_the_missing_values_results():
    """The reading of benchmarks/missing_values.py on the benchmarks page is its results'."""
    result = json.loads((ROOT / "benchmarks" / "results" / "missing_values" /
                         "missing_values.json").read_text())
    page = " ".join((ROOT / "docs" / "benchmarks.md").read_text().split())
    for mechanism in ("MCAR", "MNAR"):
        rows = result["mechanisms"][mechanism]
        native, imputed = rows["GAN, missing values generated"], rows["impute, then GAN"]
        for metric in ("balanced_accuracy", "roc_auc"):
            gap = native[metric] - imputed[metric]
            assert (f"{native[metric]:.4f} against {imputed[metric]:.4f} ({gap:+.4f})"
                    in page), (mechanism, metric)
        wins = rows["native_beats_imputed_sets"]
        assert (f"better on {wins['balanced_accuracy']} and {wins['roc_auc']} of the 5 sets"
                in page), mechanism
        assert f"({rows['none (native NaN)']['roc_auc']:.3f}" in page or \
            f"{rows['none (native NaN)']['roc_auc']:.3f})" in page
    assert f"({result['mechanisms']['MCAR']['none (native NaN)']['balanced_accuracy']:.3f})" \
        in page
