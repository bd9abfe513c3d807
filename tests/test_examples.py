"""Smoke tests of the example scripts' --quick modes on real MNIST (skipped without the data)."""

import json
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"

pytestmark = pytest.mark.skipif(not (MNIST / "train-images-idx3-ubyte.gz").exists(),
                                reason="MNIST IDX files not found beside the checkout")


def run_example(name, *args, monkeypatch):
    monkeypatch.setattr(sys, "argv", [name, *args])
    return runpy.run_path(str(ROOT / "examples" / name), run_name="not_main")["main"]()


def test_mnist_imbalance_quick(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    result = run_example("mnist_imbalance.py", "--quick", "--data-home", str(MNIST), "--out",
                         str(tmp_path), monkeypatch=monkeypatch)
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


def test_deepsmote_benchmark_quick(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["deepsmote_mnist.py", "--quick", "--data-home", str(MNIST),
                                      "--methods", "none", "random", "--out",
                                      str(tmp_path / "d.json")])
    result = runpy.run_path(str(ROOT / "benchmarks" / "deepsmote_mnist.py"),
                            run_name="not_main")["main"]()
    assert set(result["summary"]) == {"none", "random"}
    for row in result["runs"]:
        for test in ("imbalanced", "balanced"):
            assert set(row[test]) == {"ACSA", "GM", "F1"}
            assert all(0 <= v <= 100 for v in row[test].values())
    text = (tmp_path / "d.md").read_text()
    assert "published (ResNet-18, 5-fold CV), not reproduced" in text
    # The default budget gives every row the same number of optimiser steps.
    assert {row["train_steps"] for row in result["runs"]} == {result["budget_steps"]}


def test_deepsmote_benchmark_epoch_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["deepsmote_mnist.py", "--quick", "--data-home", str(MNIST),
                                      "--methods", "none", "random", "--budget", "epochs",
                                      "--out", str(tmp_path / "e.json")])
    result = runpy.run_path(str(ROOT / "benchmarks" / "deepsmote_mnist.py"),
                            run_name="not_main")["main"]()
    steps = {row["method"]: row["train_steps"] for row in result["runs"]}
    resampled = {row["method"]: row["n_train_resampled"] for row in result["runs"]}
    # Half an epoch (--quick) of each row's own set: 9,000 imbalanced rows, 40,000 balanced.
    assert resampled == {"none": 9000, "random": 40000}
    assert steps == {"none": round(0.5 * 9000 / 64), "random": round(0.5 * 40000 / 64)}
    assert "0.5 epochs of each row's own training set" in (tmp_path / "e.md").read_text()


def test_mnist_augment_quick(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    result = run_example("mnist_augment.py", "--quick", "--data-home", str(MNIST), "--out",
                         str(tmp_path), monkeypatch=monkeypatch)
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
                        "--out", str(tmp_path), monkeypatch=monkeypatch)
    assert again["summary"] == result["summary"]


def test_mnist_denoise_quick(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    result = run_example("mnist_denoise.py", "--quick", "--data-home", str(MNIST), "--out",
                         str(tmp_path), monkeypatch=monkeypatch)
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
