"""The numbers the README and the docs pages quote are those of the result files the scripts
wrote.

When a benchmark or an example is re-run, these fail until the text is updated.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def section(text, heading):
    """The text under ``heading`` (a Markdown heading line, ``## ...``), up to the next heading
    of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    body = text.split(heading + "\n", 1)[1]
    stop = re.search(rf"^#{{1,{level}}} ", body, flags=re.M)
    return body[:stop.start()] if stop else body


def flat(text):
    """``text`` with every run of whitespace made one space, so that quotes may wrap."""
    return " ".join(text.split())


def page(*parts):
    return flat((DOCS.joinpath(*parts)).read_text())


def load(*parts):
    return json.loads(ROOT.joinpath(*parts).read_text())


def test_one_image_of_digit_1_table_matches_the_example_results():
    results = (ROOT / "examples" / "results" / "mnist_imbalance" / "results.md").read_text()
    count1 = results.split("| method (minority count 1)")[1].split("\n\n")[0].splitlines()
    section_ = section(README, "### One image of digit 1")
    rows = [line for line in section_.splitlines()
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
    assert f"{ratio['mean']:.1f} times as long as training the SmallCNN" in readme
    assert f"the GAN: about {fit['mean']:.0f} s here" in readme
    started = page("getting_started.md")
    assert (f"The default GAN fit takes about {fit['mean']:.0f} seconds on 2 CPU cores, "
            f"{ratio['mean']:.1f} times") in started
    assert (f"Generating is cheap: {result['images_per_second']['mean']:,.0f} 28x28 images per "
            "second") in page("user_guide", "over_sampler.md")
    per_second = re.search(r"about ([\d,]+) generated 28x28 images per second", README)
    assert int(per_second.group(1).replace(",", "")) == round(
        result["images_per_second"]["mean"], -3)
    tables = result["tables"]
    assert (f"A default fit took {tables['median_seconds']:.2f} s (median; at most "
            f"{tables['max_seconds']:.2f} s)") in " ".join(README.split())
    assert f"and {tables['scaling_seconds']['200000']:.2f} s on 200,000 rows" in README
    should = flat(section(README, "## Should I use it?"))
    assert (f"A default fit took {tables['median_seconds']:.2f} s (the median over 14 tables) "
            f"and {tables['scaling_seconds']['200000']:.2f} s on 200,000 rows") in should


KEEL_NAMES = {"GANOverSampler": "GAN", "GANOverSampler, mode='per_class'": "GAN per_class",
              "ProWSyn (smote-variants)": "ProWSyn", "ADASYN": "ADASYN", "SMOTE": "SMOTE",
              "polynom_fit_SMOTE_star (smote-variants)": "polynom_fit_SMOTE_star",
              "BorderlineSMOTE": "BorderlineSMOTE", "CTGAN (minority rows)": "CTGAN",
              "RandomOverSampler": "ROS", "No resampling": "none"}


def test_keel_table_matches_the_benchmark_results():
    result = json.loads((ROOT / "benchmarks" / "results" / "keel_tabular" /
                         "keel_tabular.json").read_text())
    rows = [line for line in section(README, "### How it compares on 14 KEEL tables").splitlines()
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
    rows = [line for line in section(README, "### One training image of each digit in turn")
            .splitlines()
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


def keel():
    return load("benchmarks", "results", "keel_tabular", "keel_tabular.json")


def test_tables_page_reads_the_classifiers_right():
    """"Where it leads the other samplers is with the trees": the per-classifier means."""
    means = keel()["metrics"]["balanced_accuracy"]["mean_per_classifier"]
    text = page("user_guide", "tables.md")
    hgb, dt, lr, knn = means["HGB"], means["DT"], means["LR"], means["5-NN"]
    smote_family = ("SMOTE", "BorderlineSMOTE", "ADASYN", "ProWSyn", "polynom_fit_SMOTE_star",
                    "SMOTENC")
    best_smote = max(smote_family, key=hgb.get)
    assert max(hgb, key=hgb.get) == "GAN" and best_smote == "SMOTE"
    assert (f"With HistGradientBoosting its mean balanced accuracy, {hgb['GAN']:.4f}, is the "
            f"highest of all rows, {hgb['GAN'] - hgb[best_smote]:.4f} above the best "
            "SMOTE-family row (SMOTE)") in text
    assert [row for row in dt if dt[row] > dt["GAN"]] == ["CTGAN"]
    assert f"with the decision tree, {dt['GAN']:.4f}, only CTGAN is higher ({dt['CTGAN']:.4f})" \
        in text
    assert [row for row in lr if lr[row] > lr["GAN"]] == ["ROS"]
    assert f"behind random over-sampling ({lr['ROS']:.4f} against {lr['GAN']:.4f})" in text
    above = sorted((row for row in knn if knn[row] > knn["GAN"]), key=knn.get, reverse=True)
    assert len(above) == 6 and set(above[:3]) == {"SMOTE", "ADASYN", "ProWSyn"}
    assert "with 5-NN six rows are higher, the SMOTE family first" in text
    gains = {c: means[c]["GAN"] - means[c]["none"] for c in means}
    assert min(gains, key=gains.get) == "DT" and max(gains, key=gains.get) == "LR"
    assert (f"+{gains['DT']:.4f} with the decision tree, +{gains['HGB']:.4f} with "
            f"HistGradientBoosting, against +{gains['LR']:.4f} with logistic regression") in text


def test_should_i_use_it_quotes_the_results():
    """The README's "Should I use it?" section and its table, against every file it cites."""
    should = flat(section(README, "## Should I use it?"))
    result = keel()
    ranks = {m: result["metrics"][m]["mean_rank"] for m in ("balanced_accuracy", "roc_auc", "f1")}
    assert (f"(mean rank {ranks['balanced_accuracy']['GAN']:.2f} against "
            f"{ranks['balanced_accuracy']['ProWSyn']:.2f})") in should
    assert f"third on ROC AUC ({ranks['roc_auc']['GAN']:.2f})" in should
    assert f"seventh on minority-class F1 ({ranks['f1']['GAN']:.2f})" in should
    for metric, place in (("roc_auc", 3), ("f1", 7)):
        order = sorted(ranks[metric], key=ranks[metric].get)
        assert order.index("GAN") + 1 == place, metric
    samplers = [r for r in sorted(ranks["roc_auc"], key=ranks["roc_auc"].get) if r != "none"]
    assert [samplers.index(r) + 1 for r in ("ProWSyn", "ADASYN", "SMOTE")] == [1, 2, 4]
    assert "first, second and fourth on ROC AUC among the samplers" in should
    for metric in ("balanced_accuracy", "g_mean"):  # "the highest ... with HistGradientBoosting"
        hgb = result["metrics"][metric]["mean_per_classifier"]["HGB"]
        assert max(hgb, key=hgb.get) == "GAN", metric

    missing = load("benchmarks", "results", "missing_values", "missing_values.json")
    mcar, mnar = missing["mechanisms"]["MCAR"], missing["mechanisms"]["MNAR"]
    native, imputed = "GAN, missing values generated", "impute, then GAN"
    assert (f"(balanced accuracy {mcar[native]['balanced_accuracy']:.4f} against "
            f"{mcar[imputed]['balanced_accuracy']:.4f} at random, "
            f"{mnar[native]['balanced_accuracy']:.4f} against "
            f"{mnar[imputed]['balanced_accuracy']:.4f} not at random)") in should
    assert (f"the Brier score is {mcar[native]['brier']:.4f} against "
            f"{mcar['none (native NaN)']['brier']:.4f} without resampling") in should

    one_shot = one_shot_summary()
    assert (f"it scores {100 * one_shot['affine_elastic']['balanced_accuracy']:.2f} balanced "
            f"accuracy against {100 * one_shot['gan']['balanced_accuracy']:.2f} for "
            f"`GANOverSampler` and {100 * one_shot['random']['balanced_accuracy']:.2f} for "
            "random over-sampling") in should
    steps = load("benchmarks", "results", "deepsmote_mnist.json")["summary"]
    acsa = {m: steps[m]["balanced"]["ACSA"]["mean"] for m in steps}
    assert (f"(affine + elastic {acsa['affine_elastic']:.2f}, `GANOverSampler` "
            f"{acsa['gan']:.2f}) and all are above random over-sampling ({acsa['random']:.2f}) "
            f"and SMOTE ({acsa['smote']:.2f})") in should
    augmenting = [acsa[m] for m in ("affine", "affine_elastic", "gan", "deformation")]
    assert min(augmenting) > max(acsa["random"], acsa["smote"])
    # "level with or above every other row on the two MNIST protocols that ran it": within
    # 0.1 points of the best row on both.
    epochs = load("benchmarks", "results", "deepsmote_mnist_epochs.json")["summary"]
    for summary, key in ((one_shot, None), (steps, "balanced"), (epochs, "balanced")):
        scores = {m: (100 * e["balanced_accuracy"] if key is None else e[key]["ACSA"]["mean"])
                  for m, e in summary.items()}
        assert max(scores.values()) - scores["affine_elastic"] < 0.1


def test_index_and_benchmarks_pages_quote_the_results():
    assert f"at a median of {keel()['fit_seconds']['GAN']:.1f} s per fit" in page("index.md")
    text = page("benchmarks.md")
    deepsmote = load("benchmarks", "results", "deepsmote_mnist.json")
    acsa = {m: e["balanced"]["ACSA"]["mean"] for m, e in deepsmote["summary"].items()}
    augmenting = [acsa[m] for m in ("affine", "affine_elastic", "gan", "deformation")]
    published = deepsmote["published"]["balanced"]
    assert (f"(affine, affine + elastic, the GAN and the learned deformations: "
            f"{min(augmenting):.2f} to {max(augmenting):.2f} at equal steps) are above "
            f"DeepSMOTE's published {published['DeepSMOTE'][0]:.2f} on the balanced test set; "
            f"our no resampling ({acsa['none']:.2f}), random over-sampling "
            f"({acsa['random']:.2f}) and SMOTE ({acsa['smote']:.2f}) are below it") in text
    assert min(augmenting) > published["DeepSMOTE"][0] > max(acsa["none"], acsa["random"],
                                                              acsa["smote"])
    assert (f"Our SMOTE is far above the published SMOTE ({acsa['smote']:.1f} against "
            f"{published['SMOTE'][0]:.1f})") in text
    # The README's line under its DeepSMOTE table.
    assert f"DeepSMOTE's published {published['DeepSMOTE'][0]:.2f} used a ResNet-18" in README


def test_design_log_gives_the_current_deepsmote_values():
    """The note under the before/after table: the table's stale cells and the current ones."""
    log = flat((ROOT / "benchmarks" / "design_log" / "README.md").read_text())
    note = log.split("## Before and after the cheaper image fit: the comparison table")[1]
    table = (ROOT / "benchmarks" / "design_log" / "logs" / "before_after_issue20.md").read_text()

    def after(name, label):
        row = next(line for line in table.splitlines()
                   if line.startswith(f"| {name} | {label}, ACSA % (imbalanced test set)"))
        return row.strip("|").split("|")[-1].strip()

    def current(name, method):
        stat = load("benchmarks", "results", f"{name}.json")["summary"][method]
        stat = stat["imbalanced"]["ACSA"]
        return f"{stat['mean']:.2f} ± {stat['std']:.2f}"

    for name, budget in (("deepsmote_mnist", "deepsmote"),
                         ("deepsmote_mnist_epochs", "deepsmote_epochs")):
        gan, affine = current(name, "gan"), current(name, "affine")
        assert f"the GAN {gan} and affine augmentation {affine}" in note, name
        stale = f"(the table: {after(budget, 'GANOverSampler')} and " \
                f"{after(budget, 'Affine augmentation')})"
        assert stale in note, name


def test_example_page_reading_matches_the_example_results():
    """The reading of the one-image-of-digit-1 example page."""
    result = load("examples", "results", "mnist_imbalance", "results.json")
    at1 = {e["method"]: e for e in result["summary"] if e.get("n_minority") == 1}
    text = page("examples", "mnist_imbalance.md")

    def ba(method, digits=2):
        return f"{at1[method]['balanced_accuracy']['mean']:.{digits}f}"

    assert f"(recall 0, balanced accuracy {ba('none')})" in text
    assert at1["none"]["minority_recall"]["mean"] == 0
    gap = 100 * (at1["gan"]["balanced_accuracy"]["mean"] -
                 at1["random"]["balanced_accuracy"]["mean"])
    assert (f"brings balanced accuracy to {ba('gan')}, {gap:.0f} points above random "
            f"over-sampling ({ba('random')})") in text
    assert (f"to {at1['gan']['seed30_correct']['mean']:.0f} of the original experiment's 30 "
            "test images") in text
    assert f"({ba('gan', 3)} and {ba('affine', 3)} at one image)" in text
    assert f"({ba('gan_no_augment')} against {ba('random')}," in text


@pytest.mark.parametrize("name", ["mnist_imbalance", "mnist_augment", "mnist_denoise"])
def test_example_pages_give_their_run_time(name):
    """Each renamed example page still quotes its last full run's time."""
    seconds = load("examples", "results", name, "results.json")["seconds"]
    text = page("examples", f"{name}.md")
    assert f"{round(seconds / 60)} minutes" in text, name


def test_readme_tables_quick_start_quotes_its_example():
    """The README's quick-start table is the one examples/table_quickstart.py wrote."""
    written = (ROOT / "examples" / "results" / "table_quickstart" / "results.md").read_text()
    rows = [line for line in written.splitlines() if line.startswith("|")]
    lines = README.split("## Tables: quick start")[1].split("\n## ")[0].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| pipeline "))
    end = next(i for i in range(start, len(lines) + 1)
               if i == len(lines) or not lines[i].startswith("|"))
    assert lines[start:end] == rows


def quickstart_rows():
    return load("examples", "results", "table_quickstart", "results.json")


def test_quick_start_reading_quotes_its_results():
    """The README's "Should I use it?" and the table example's page read the quick start's
    results as the script wrote them."""
    result = quickstart_rows()
    rows = result["rows"]
    none, weights, threshold = (rows["no resampling"], rows["class_weight='balanced'"],
                                rows["tuned threshold"])
    smotenc, gan = rows["impute, then SMOTENC"], rows["GANOverSampler"]
    oscv, dummy = rows["OverSampledClassifierCV(GANOverSampler)"], rows[
        "dummy (most frequent class)"]
    real = [r for name, r in rows.items() if not name.startswith("dummy")]
    auc = f"({min(r['roc_auc'] for r in real):.3f} to {max(r['roc_auc'] for r in real):.3f}"
    should = flat(section(README, "## Should I use it?"))
    for quote in (
            f"lifts balanced accuracy from {none['balanced_accuracy']:.3f} (no resampling) to "
            f"{gan['balanced_accuracy']:.3f}, ahead of imputed SMOTENC "
            f"({smotenc['balanced_accuracy']:.3f}) and class weights "
            f"({weights['balanced_accuracy']:.3f})",
            f"gets most of that gain ({threshold['balanced_accuracy']:.3f})",
            f"(Brier {threshold['brier']:.4f}, against {gan['brier']:.4f} for the GAN)",
            f"costs {threshold['fit_seconds']:.2f} s per fold against the GAN's "
            f"{gan['fit_seconds']:.2f} s",
            f"ROC AUC barely moves for any row {auc})",
            f"{result['n_positive']} positives"):
        assert quote in should, quote
    assert threshold["brier"] == none["brier"]  # "keeps the probabilities as they were"
    assert (none["balanced_accuracy"] < threshold["balanced_accuracy"] < gan["balanced_accuracy"]
            and weights["balanced_accuracy"] < smotenc["balanced_accuracy"])
    assert threshold["balanced_accuracy"] - none["balanced_accuracy"] > \
        gan["balanced_accuracy"] - threshold["balanced_accuracy"]  # "most of that gain"

    text = page("examples", "table_quickstart.md")
    assert f"took {result['wall_seconds'] / 60:.1f} minutes" in text
    for quote in (
            f"balanced accuracy {none['balanced_accuracy']:.3f}",
            f"{gan['balanced_accuracy']:.3f}, against {threshold['balanced_accuracy']:.3f} for "
            f"the tuned threshold, {smotenc['balanced_accuracy']:.3f} for imputed SMOTENC and "
            f"{weights['balanced_accuracy']:.3f} for class weights",
            f"(Brier {threshold['brier']:.4f}, the same as no resampling) and costs "
            f"{threshold['fit_seconds']:.2f} s per fold, against {gan['fit_seconds']:.2f} s",
            f"Class weights gain less here ({weights['balanced_accuracy']:.3f})",
            f"ROC AUC hardly moves** {auc} for every real row)",
            f"Brier {gan['brier']:.4f} and {smotenc['brier']:.4f}, against {none['brier']:.4f} "
            f"without resampling and {dummy['brier']:.4f} for the dummy",
            f"(Brier {oscv['brier']:.4f}, the lowest here) with a balanced accuracy of "
            f"{oscv['balanced_accuracy']:.3f}",
            f"{oscv['fit_seconds']:.2f} s per fold",
            f"with {result['n_positive']} positives"):
        assert quote in text, quote
    assert oscv["brier"] == min(r["brier"] for r in rows.values())
    assert all(r["balanced_accuracy"] > dummy["balanced_accuracy"] and
               r["roc_auc"] > dummy["roc_auc"] for r in real)
    assert gan["balanced_accuracy"] == max(r["balanced_accuracy"] for name, r in rows.items()
                                           if not name.startswith("OverSampled"))


def test_images_page_quotes_the_image_sizes_results():
    result = load("benchmarks", "results", "image_sizes.json")
    assert not result["quick"] and result["mnist_source"] == "idx"
    runs = {(r["sampler"], r["image_shape"][1]): r for r in result["runs"]}
    text = page("user_guide", "images.md")
    gan = [runs["gan", side] for side in (28, 32, 64)]
    assert (f"took {gan[0]['fit_resample_seconds']:.2f} s at 28x28, "
            f"{gan[1]['fit_resample_seconds']:.2f} s at 32x32x3 and "
            f"{gan[2]['fit_resample_seconds']:.2f} s at 64x64x3") in text
    assert (f"The fit added {gan[0]['peak_rss_above_before_fit_mib']:.0f}, "
            f"{gan[1]['peak_rss_above_before_fit_mib']:.0f} and "
            f"{gan[2]['peak_rss_above_before_fit_mib']:.0f} MiB to the process, whose peak was "
            f"{gan[2]['peak_rss_mib']:.0f} MiB at 64x64x3") in text
    affine = [r for (name, _), r in runs.items() if name != "gan"]
    slowest = max(affine, key=lambda r: r["fit_resample_seconds"])
    assert slowest["sampler"] == "affine_elastic" and slowest["image_shape"] == [3, 64, 64]
    assert (f"took at most {slowest['fit_resample_seconds']:.2f} s (with elastic distortion, at "
            f"64x64x3) and added at most "
            f"{max(r['peak_rss_above_before_fit_mib'] for r in affine):.0f} MiB") in text
    moved = result["elastic_displacement"]
    square, linear, base = moved["64"]["square"], moved["64"]["linear"], moved["28"]["square"]
    assert (f"at 64x64 the root-mean-square displacement is {square['rms_pixels']:.2f} px, "
            f"{square['rms_fraction_of_side']:.1%} of the side, against "
            f"{base['rms_pixels']:.2f} px, {base['rms_fraction_of_side']:.1%}, at 28x28") in text
    assert (f"({linear['rms_pixels']:.2f} px at 64x64), which is "
            f"{linear['rms_fraction_of_side']:.1%} of the side there") in text
    assert "uses two torch threads and 601 images" in text
    protocol = load("benchmarks", "results", "fit_time.json")["protocol"]
    assert "1/300/300" in protocol and "digits 1/2/3" in protocol


def test_readme_quotes_the_dask_benchmark_and_the_calibrated_row():
    """The README's Dask paragraph and its OverSampledClassifierCV numbers are the results'."""
    scale = json.loads((ROOT / "benchmarks" / "results" / "scale" / "scale.json").read_text())
    text = " ".join(README.split())
    rate = scale["rows_per_second"]["2_workers"]
    assert f"2 workers generated {rate:,.0f} rows per second" in text
    assert f"{scale['speedup_2_workers_vs_single_process']:.2f} times a single process" in text
    assert f"at most {scale['memory']['peak_rss_bytes'] / 2**20:.0f} MiB per worker" in text
    quick = json.loads((ROOT / "examples" / "results" / "table_quickstart" /
                        "results.json").read_text())["rows"]
    calibrated = quick["OverSampledClassifierCV(GANOverSampler)"]
    assert f"best balanced accuracy of all rows ({calibrated['balanced_accuracy']:.3f})" in text
    assert calibrated["balanced_accuracy"] == max(r["balanced_accuracy"] for r in quick.values())
    assert (f"({calibrated['brier']:.4f} against {quick['no resampling']['brier']:.4f})"
            in text)


def test_calibrated_page_quotes_the_reliability_results():
    result = json.loads((ROOT / "benchmarks" / "results" / "calibration" /
                         "calibration.json").read_text())["sets"]
    page = " ".join((ROOT / "docs" / "user_guide" / "calibrated.md").read_text().split())
    for name in ("pima", "vehicle3", "ecoli1", "vowel0"):
        ours = result[name]["OverSampledClassifierCV(GANOverSampler)"]["scores"]["brier"]
        plain = result[name]["no resampling"]["scores"]["brier"]
        assert f"{name} " in page and f"{ours:.4f} against {plain:.4f}" in page, name
        assert (ours < plain) == (name != "vowel0"), name
    vowel = result["vowel0"]
    ratio = (vowel["OverSampledClassifierCV(GANOverSampler)"]["scores"]["brier"]
             / vowel["no resampling"]["scores"]["brier"] - 1)
    assert f"it is {ratio:.0%} above" in page
    vehicle = result["vehicle3"]
    assert (f"vehicle3: {vehicle['GANOverSampler (1:1)']['scores']['mean_predicted']:.3f} "
            f"against a base rate of {vehicle['no resampling']['scores']['base_rate']:.3f}, and "
            f"{vehicle['OverSampledClassifierCV(GANOverSampler)']['scores']['mean_predicted']:.3f}"
            " once corrected") in page


def test_calibrated_page_quotes_the_quick_start_cost():
    rows = json.loads((ROOT / "examples" / "results" / "table_quickstart" /
                       "results.json").read_text())["rows"]
    page = " ".join((ROOT / "docs" / "user_guide" / "calibrated.md").read_text().split())
    assert (f"a fit took {rows['OverSampledClassifierCV(GANOverSampler)']['fit_seconds']:.2f} s, "
            f"against {rows['GANOverSampler']['fit_seconds']:.2f} s for the GAN") in page


def augment_quality():
    """The quality scores of examples/mnist_augment.py, by (training images, grid step)."""
    quality = load("examples", "results", "mnist_augment", "results.json")["quality"]
    return {(q["size"], q["step"]): q for q in quality}


def test_quality_report_page_quotes_the_augment_results():
    """The class consistency the quality-report page quotes for the cGAN of the
    generated-images example: its continuous latent, over the three training-set sizes."""
    quality = augment_quality()
    consistency = [quality[size, None]["consistency"] for size in ("1000", "10000", "60000")]
    assert (f"class consistency is only {min(consistency):.2f} to {max(consistency):.2f}"
            in page("user_guide", "quality_report.md"))


def test_mnist_augment_page_quotes_its_results():
    result = load("examples", "results", "mnist_augment", "results.json")
    text = page("examples", "mnist_augment.md")
    quality = augment_quality()
    continuous = [quality[size, None]["consistency"] for size in ("1000", "10000", "60000")]
    assert (f"class consistency is {min(continuous):.2f} to {max(continuous):.2f}") in text
    minutes = round(result["seconds"] / 60)
    second = round(result["wall_seconds"] / 60)
    assert (f"The two full commands took {minutes} minutes together on 2 CPU cores") in text
    assert f"{minutes - second} minutes for the first command and {second} more" in text
    assert (f"The run took {minutes} minutes on 2 CPU cores") in text
    assert f"{minutes - second} minutes for the default run" in text
    assert f"and {second} more for the full set" in text
    bits = {q["latent_bits"] for q in quality.values() if q["step"] == 1.0}
    assert len(bits) == 1
    bits = bits.pop()
    assert f"still leaves {bits:.0f} bits of entropy" in text
    assert f"about 10^{bits * 0.30103:.0f} equally likely codes" in text
    variety = [q["variety"] for q in quality.values()]
    assert f"stays at {min(variety):.2f} to {max(variety):.2f} for every step" in text
    copies = [q["copy_rate"] for q in quality.values()]
    assert f"Copy rates are {min(copies):.0f} to {max(copies):.3f}" in text


def test_mnist_augment_conclusions_match_its_results():
    text = page("examples", "mnist_augment.md")
    summary = {(e["size"], e["variant"]): e
               for e in load("examples", "results", "mnist_augment", "results.json")["summary"]}
    quality = augment_quality()
    mixes = ("mix_none", "mix_1", "mix_0.5", "mix_0.25")

    def points(size, variant, key):
        return 100 * summary[size, variant][key]["mean"]

    quotes = []
    for size, label in (("1000", "1,000 real images"), ("10000", "10,000"),
                        ("60000", "60,000")):
        lost = [-points(size, m, "delta_final") for m in mixes]
        quotes.append(f"{min(lost):.1f} to {max(lost):.1f} at {label}"
                      if size != "1000" else f"{min(lost):.1f} to {max(lost):.1f} points "
                      f"below at {label}")
    trend = {s: (points(s, "mix_none", "osc_detrended"), points(s, "real", "osc_detrended"))
             for s in ("10000", "60000")}
    quotes.append(f"({trend['10000'][0]:.2f} against {trend['10000'][1]:.2f}, and "
                  f"{trend['60000'][0]:.2f} against {trend['60000'][1]:.2f} points)")
    d10 = summary["10000", "mix_none"]["osc_detrended"]
    quotes.append(f"the std around the trend is {points('10000', 'mix_1', 'osc_detrended'):.2f}, "
                  f"{points('10000', 'mix_0.5', 'osc_detrended'):.2f} and "
                  f"{points('10000', 'mix_0.25', 'osc_detrended'):.2f} for steps 1.0, 0.5 and "
                  f"0.25, against {100 * d10['mean']:.2f} ± {100 * d10['std']:.2f}")
    quotes.append(f"{points('60000', 'mix_1', 'osc_mad'):.2f} and "
                  f"{points('60000', 'mix_0.5', 'osc_mad'):.2f}, against "
                  f"{points('60000', 'mix_none', 'osc_mad'):.2f} points")
    quotes.append(f"{points('60000', 'mix_1', 'osc_std'):.2f} against "
                  f"{points('60000', 'mix_none', 'osc_std'):.2f}")
    quotes.append(f"({points('60000', 'mix_1', 'osc_detrended'):.2f} and "
                  f"{points('60000', 'mix_0.5', 'osc_detrended'):.2f}, against "
                  f"{points('60000', 'mix_none', 'osc_detrended'):.2f})")
    quotes.append(f"({points('60000', 'real', 'osc_detrended'):.2f})")
    cost = points("60000", "mix_none", "final") - points("60000", "mix_1", "final")
    quotes.append(f"step 1.0 costs {cost:.2f} points of final accuracy")
    sizes = ("1000", "10000", "60000")
    drop = [100 * (quality[s, None]["consistency"] - quality[s, 1.0]["consistency"])
            for s in sizes]
    rise = [100 * (quality[s, 1.0]["frechet_distance"] / quality[s, None]["frechet_distance"]
                   - 1) for s in sizes]
    quotes.append(f"costs {min(drop):.1f} to {max(drop):.1f} points of class consistency")
    quotes.append(f"Fréchet distance by {min(rise):.0f} to {max(rise):.0f}% at every size")
    q0, q1 = quality["1000", None], quality["1000", 1.0]
    quotes.append(f"(for example {q0['consistency']:.3f} to {q1['consistency']:.3f}, and "
                  f"{q0['frechet_distance']:.1f} to {q1['frechet_distance']:.1f}, at 1,000 "
                  "images)")
    missing = [quote for quote in quotes if quote not in text]
    # "within 0.011 of class consistency": steps 0.5 and 0.25 against the continuous latent.
    fine = max(abs(quality[s, step]["consistency"] - quality[s, None]["consistency"])
               for s in sizes for step in (0.5, 0.25))
    if f"within {fine:.3f} of class consistency" not in text:
        missing.append(f"within {fine:.3f} of class consistency")
    assert not missing, missing


def denoise_cells():
    result = load("examples", "results", "mnist_denoise", "results.json")
    return result, {(e["formulation"], e["size"], e["loss"]): e for e in result["summary"]}


def denoise_gains(result, condition):
    """The GAN loss's PSNR gain, paired by seed, mean and std, per formulation and size."""
    import statistics

    runs = {(r["formulation"], r["size"], r["loss"], r["seed"]): r[condition]["psnr"]
            for r in result["runs"]}
    gains = {}
    for f, size, loss, seed in runs:
        if loss == "gan":
            gains.setdefault((f, size), []).append(runs[f, size, "gan", seed]
                                                   - runs[f, size, "l1", seed])
    return {cell: (statistics.mean(g), statistics.pstdev(g)) for cell, g in gains.items()}


def test_mnist_denoise_page_quotes_its_results():
    result, cells = denoise_cells()
    text = page("examples", "mnist_denoise.md")
    minutes = round(result["seconds"] / 60)
    fit_minutes = round(sum(r["fit_seconds"] for r in result["runs"]) / 60)
    assert f"The last full run took {minutes} minutes on 2 CPU cores" in text
    assert (f"The run took {minutes} minutes of wall time on an otherwise idle machine with 2 "
            f"CPU cores (`seconds` in `results.json`): its {len(result['runs'])} fits took "
            f"{fit_minutes} minutes of `fit_seconds`") in text
    base = [result["baselines"][f]["seen"] for f in result["formulations"]]
    seen = list(cells.values())
    psnr, ssim = [e["seen_psnr"]["mean"] for e in seen], [e["seen_ssim"]["mean"] for e in seen]
    assert (f"lifts the mixture from {min(b['psnr'] for b in base):.0f} to "
            f"{max(b['psnr'] for b in base):.0f} dB to {min(psnr):.0f} to {max(psnr):.0f} dB PSNR "
            f"at the training scales, and SSIM from {min(b['ssim'] for b in base):.2f} to "
            f"{max(b['ssim'] for b in base):.2f} to {min(ssim):.2f} to {max(ssim):.2f}") in text
    gains = {c: denoise_gains(result, c) for c in ("seen", "louder", "quieter")}
    seen_gain = [m for m, _ in gains["seen"].values()]
    assert len(seen_gain) == 6
    assert f"between {min(seen_gain):.2f} and +{max(seen_gain):.2f} dB in all six cells" in text
    mean, std = gains["seen"]["v3", 1000]
    assert min(seen_gain) == mean
    assert f"v3 with 1,000 pairs, where it loses {-mean:.2f} ± {std:.2f} dB" in text
    ssim_of = {cell: e["seen_ssim"]["mean"] for cell, e in cells.items()}
    assert (f"up with v2 ({ssim_of['v2', 60000, 'gan']:.3f} against "
            f"{ssim_of['v2', 60000, 'l1']:.3f} at 60,000 pairs)") in text
    assert (f"({ssim_of['v3', 1000, 'gan']:.3f} against {ssim_of['v3', 1000, 'l1']:.3f} for v3 "
            "at 1,000 pairs)") in text
    quieter = [m for m, _ in gains["quieter"].values()]
    assert min(quieter) > 0
    assert f"gains {min(quieter):.2f} to {max(quieter):.2f} dB in every cell" in text
    v1_l1 = [cells["v1", size, "l1"]["quieter_ssim"]["mean"] for size in (60000, 1000)]
    v1_gan = [cells["v1", size, "gan"]["quieter_ssim"]["mean"] for size in (60000, 1000)]
    assert f"lifts SSIM from {min(v1_l1):.2f}–{max(v1_l1):.2f} to {sum(v1_gan) / 2:.2f}" in text
    louder = [m for m, _ in gains["louder"].values()]
    assert f"neutral to worse ({min(louder):.2f} to +{max(louder):.2f} dB)" in text
    for f in ("v1", "v2"):
        for loss in ("gan", "l1"):
            assert abs(cells[f, 60000, loss]["seen_psnr"]["mean"]
                       - cells[f, 1000, loss]["seen_psnr"]["mean"]) < 0.3, (f, loss)
    v3 = [cells["v3", 60000, loss]["seen_psnr"]["mean"] - cells["v3", 1000, loss]["seen_psnr"]
          ["mean"] for loss in ("gan", "l1")]
    assert f"v3 is {min(v3):.1f} to {max(v3):.1f} dB better with 60,000 pairs" in text
    v2_louder = [cells["v2", size, loss]["louder_psnr"]["mean"] for size in (60000, 1000)
                 for loss in ("gan", "l1")]
    assert f"on louder mixtures ({sum(v2_louder) / 4:.0f} dB;" in text
    v1 = {c: [cells["v1", size, loss][f"{c}_psnr"]["mean"] for size in (60000, 1000)
              for loss in ("gan", "l1")] for c in ("louder", "quieter")}
    assert (f"{sum(v1['louder']) / 4:.0f} dB louder, {sum(v1['quieter']) / 4:.0f} dB quieter"
            in text)
    v3_louder = [cells["v3", size, loss]["louder_psnr"]["mean"] for size in (60000, 1000)
                 for loss in ("gan", "l1")]
    assert f"({min(v3_louder):.0f} to {max(v3_louder):.0f} dB, with a large spread)" in text
    quiet = result["test_conditions"]["quieter"]
    assert f"the digits shrink to {100 * quiet[0]:.0f} to {100 * quiet[1]:.0f}%" in text
    fit = {loss: sum(r["fit_seconds"] for r in result["runs"] if r["loss"] == loss)
           for loss in ("gan", "l1")}
    assert f"it is about {fit['gan'] / fit['l1']:.1f}x the training time" in text


def test_mnist_denoise_page_quotes_its_count_and_rounding():
    result, cells = denoise_cells()
    text = page("examples", "mnist_denoise.md")
    gains = denoise_gains(result, "seen")
    inside = sum(abs(mean) <= std for mean, std in gains.values())
    words = ["none", "one", "two", "three", "four", "five", "six"]
    v2_quieter = [cells["v2", size, loss]["quieter_psnr"]["mean"] for size in (60000, 1000)
                  for loss in ("gan", "l1")]
    quotes = [f"inside the seed-to-seed spread (about one std) in {words[inside]} of them",
              f"and {sum(v2_quieter) / 4:.1f} dB on quieter ones"]
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, missing
