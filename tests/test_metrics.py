"""Tests of ganbalance.metrics: known answers, few-shot copies, collapse, report, plot, checks."""

import doctest
import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ganbalance.metrics
from ganbalance.exceptions import GANCollapseWarning
from ganbalance.metrics import (
    class_consistency,
    copy_rate,
    density_coverage,
    detect_collapse,
    fit_feature_classifier,
    frechet_distance,
    plot_quality_report,
    quality_report,
    variety,
)

IMAGE = (1, 8, 8)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    """All ten 8x8 digit classes, split at random into 'real' (900) and 'held out' (897)."""
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    real, held = perm[:900], perm[900:]
    return X[real], y[real], X[held], y[held]


@pytest.fixture(scope="module")
def digits_clf(digits):
    X, y, _, _ = digits
    return fit_feature_classifier(X, y, image_shape=IMAGE, epochs=20, device="cpu",
                                  random_state=0)


@pytest.fixture(scope="module")
def reports(digits, digits_clf):
    """Reports of three known cases against the same classifier."""
    X, y, X_held, y_held = digits
    perm = np.random.default_rng(1).permutation(len(X))
    noise = np.random.default_rng(2).uniform(0, 16, size=X_held.shape)
    cases = {
        "held_out": (X_held, y_held),     # fresh rows of the same distribution
        "copies": (X[perm], y[perm]),    # the real rows themselves, permuted
        "noise": (noise, y_held),         # uniform noise in the pixel range
    }
    return {name: quality_report(X, y, Xs, ys, image_shape=IMAGE, classifier=digits_clf,
                                 random_state=0)
            for name, (Xs, ys) in cases.items()}


@pytest.fixture(scope="module")
def few_shot():
    """Digits 0 / 1 / 2 with 40 / 10 / 1 real images, and 30 unseen images of 1 and of 2."""
    X, y = load_digits(n_class=3, return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 1)[:10],
                           np.flatnonzero(y == 2)[:1]])
    unseen = np.concatenate([np.flatnonzero(y == 1)[10:40], np.flatnonzero(y == 2)[1:31]])
    return X[keep], y[keep], X[unseen], y[unseen]


# --------------------------------------------------------------------------- known answers


def test_report_layout(reports):
    report = reports["held_out"]
    assert list(report.columns) == [
        "class", "n_real", "n_synthetic", "consistency", "frechet_distance", "density",
        "coverage", "copy_rate", "copy_rate_baseline", "variety", "collapse", "note"]
    assert report["class"].tolist() == list(range(10))
    assert report["n_real"].sum() == 900 and report["n_synthetic"].sum() == 897
    assert report["collapse"].dtype == bool
    assert "SmallCNN" not in report.attrs["feature_space"]  # the given classifier was used
    assert report.attrs["feature_space"] == "penultimate layer of the given classifier"


def test_held_out_real_rows_look_real(reports):
    report = reports["held_out"]
    assert (report["consistency"] > 0.85).all()
    assert report["consistency"].mean() > 0.95
    assert report["density"].between(0.7, 1.3).all()
    assert (report["coverage"] > 0.85).all()
    assert report["variety"].between(0.85, 1.15).all()
    # Copy rate near the held-out baseline (about the 5% quantile that sets the threshold).
    gap = report["copy_rate"] - report["copy_rate_baseline"]
    assert abs(gap.mean()) < 0.04
    assert (gap.abs() < 0.15).all()
    assert report["copy_rate_baseline"].between(0.03, 0.1).all()
    assert not report["collapse"].any()


def test_exact_copies(reports):
    report = reports["copies"]
    np.testing.assert_array_equal(report["copy_rate"], 1.0)
    assert (report["consistency"] > 0.9).all()  # the classifier's training accuracy
    np.testing.assert_allclose(report["frechet_distance"], 0.0, atol=1e-6)
    assert report.attrs["frechet_distance_overall"] < 1e-6
    np.testing.assert_array_equal(report["coverage"], 1.0)
    assert report["collapse"].all()
    assert report["note"].str.contains("copy rate 1.00 >= 0.9").all()


def test_noise_is_far(reports):
    noise, held = reports["noise"], reports["held_out"]
    assert noise["consistency"].mean() < 0.3
    assert (noise["frechet_distance"] > 10 * held["frechet_distance"]).all()
    assert noise.attrs["frechet_distance_overall"] > 50 * held.attrs["frechet_distance_overall"]
    assert (noise["density"] < 0.2).all() and (noise["coverage"] < 0.2).all()
    np.testing.assert_array_equal(noise["copy_rate"], 0.0)


def test_single_functions_agree_with_the_report(digits, digits_clf, reports):
    X, y, X_held, y_held = digits
    report = reports["held_out"].set_index("class")
    args = (X, y, X_held, y_held)
    assert class_consistency(*args, classifier=digits_clf) == report["consistency"].to_dict()
    assert frechet_distance(*args, classifier=digits_clf) == pytest.approx(
        report["frechet_distance"].to_dict())
    overall = frechet_distance(*args, classifier=digits_clf, per_class=False)
    assert overall == pytest.approx(reports["held_out"].attrs["frechet_distance_overall"])
    density, coverage = density_coverage(*args, classifier=digits_clf, random_state=0)
    assert density == pytest.approx(report["density"].to_dict())
    assert coverage == pytest.approx(report["coverage"].to_dict())
    rate, baseline = copy_rate(*args, image_shape=IMAGE, return_baseline=True, random_state=0)
    assert rate == report["copy_rate"].to_dict()
    assert baseline == report["copy_rate_baseline"].to_dict()
    assert variety(*args, image_shape=IMAGE, random_state=0) == pytest.approx(
        report["variety"].to_dict())


# --------------------------------------------------------------------------- few-shot copies


def test_replaying_a_one_shot_image_is_flagged(few_shot):
    X, y, _, _ = few_shot
    only = X[y == 2]
    assert len(only) == 1
    replay = np.repeat(only, 30, axis=0)
    rate, baseline = copy_rate(X, y, replay, np.full(30, 2), image_shape=IMAGE,
                               return_baseline=True)
    assert rate[2] == 1.0 and baseline[2] < 0.1
    # float32 round trips and slightly perturbed replays are still copies
    jitter = np.random.default_rng(0).normal(0, 0.3, replay.shape)
    for X_synth in (replay.astype(np.float32), replay + jitter):
        assert copy_rate(X, y, X_synth, np.full(30, 2), image_shape=IMAGE)[2] == 1.0
    reasons = detect_collapse(X, y, replay, np.full(30, 2), image_shape=IMAGE)
    assert list(reasons) == [2]
    assert "copy rate 1.00" in reasons[2] and "variety 0.00" in reasons[2]


def test_unseen_images_of_a_few_shot_class_are_not_copies(few_shot):
    X, y, X_new, y_new = few_shot
    rate, baseline = copy_rate(X, y, X_new, y_new, image_shape=IMAGE, return_baseline=True)
    assert rate[1] < 0.1 and rate[2] < 0.1
    assert np.isnan(rate[0])  # no generated rows of class 0
    assert detect_collapse(X, y, X_new, y_new, image_shape=IMAGE) == {}
    assert variety(X, y, X_new, y_new, image_shape=IMAGE)[2] > 0.5


def test_report_on_a_few_shot_class(few_shot):
    X, y, X_new, y_new = few_shot
    replay = np.where((y_new == 2)[:, None], X[y == 2], X_new)
    report = quality_report(X, y, replay, y_new, image_shape=IMAGE, device="cpu",
                            random_state=0).set_index("class")
    assert report.loc[0, "n_synthetic"] == 0 and report.loc[0, "note"] == "no synthetic rows"
    assert np.isnan(report.loc[0, "consistency"]) and not report.loc[0, "collapse"]
    assert report.loc[1, "collapse"] == False  # noqa: E712 - numpy bool
    assert report.loc[2, "collapse"] and report.loc[2, "copy_rate"] == 1.0
    assert np.isnan(report.loc[2, "density"])  # one real row: no neighbourhood
    assert np.isfinite(report.loc[2, "frechet_distance"])  # shrinkage gives a covariance
    assert "1 real row (< 20)" in report.loc[2, "note"]
    assert "10 real rows (< 20)" in report.loc[1, "note"]
    assert "k=5" not in report.loc[1, "note"]
    # Without shrinkage a one-row class has no covariance.
    fd = frechet_distance(X, y, replay, y_new, shrinkage=0.0, feature_extractor="raw")
    assert np.isnan(fd[2]) and np.isfinite(fd[1])


# --------------------------------------------------------------------------- collapse


def test_detect_collapse_reasons():
    X, y = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    X_new, y_new = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0,
                              shuffle=True)
    X_new = X_new + np.random.default_rng(0).normal(0, 0.5, X_new.shape)
    assert detect_collapse(X, y, X_new, y_new) == {}
    # Class 0 collapsed to nearly one point, away from the real rows; class 1 has a NaN row.
    X_bad = X_new.copy()
    point = X[y == 0].mean(axis=0) + np.array([2.5, 0.0, 0.0, 0.0])
    X_bad[y_new == 0] = point + np.random.default_rng(1).normal(0, 0.01, (100, 4))
    X_bad[np.flatnonzero(y_new == 1)[0], 2] = np.nan
    reasons = detect_collapse(X, y, X_bad, y_new)
    assert sorted(reasons) == [0, 1]
    assert "variety" in reasons[0] and "copy" not in reasons[0]
    assert reasons[1].startswith("1 of 100 generated rows are not finite")
    # thresholds are parameters
    assert detect_collapse(X, y, X_bad, y_new, min_variety=0.0).keys() == {1}


def test_duplicated_real_data_raises_no_copy_alarm():
    X, y = make_blobs(n_samples=100, centers=2, n_features=3, random_state=0)
    X, y = np.repeat(X, 2, axis=0), np.repeat(y, 2)  # every real row twice
    rate, baseline = copy_rate(X, y, X[::2], y[::2], return_baseline=True)
    assert rate == {0: 1.0, 1: 1.0} and baseline == {0: 1.0, 1: 1.0}
    assert detect_collapse(X, y, X[::2], y[::2]) == {}


def test_collapse_warning_can_be_filtered():
    assert issubclass(GANCollapseWarning, UserWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=GANCollapseWarning)
        warnings.warn("class 2 collapsed", GANCollapseWarning, stacklevel=1)
    assert caught == []


# --------------------------------------------------------------------------- tabular, options


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=240, centers=3, n_features=5, cluster_std=2.0, random_state=0)
    return X[:120], y[:120], X[120:], y[120:]


def test_tabular_report_is_deterministic_and_leaves_global_rng_alone(blobs):
    np.random.seed(123)
    torch.manual_seed(123)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    first = quality_report(*blobs, epochs=30, device="cpu", random_state=0)
    second = quality_report(*blobs, epochs=30, device="cpu", random_state=0)
    pd.testing.assert_frame_equal(first, second)
    assert first.attrs == second.attrs
    assert first.attrs["feature_space"] == "penultimate layer of a MLP trained on the real data"
    assert (first["consistency"] > 0.9).all() and not first["collapse"].any()
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_given_classifier_is_not_retrained(blobs, monkeypatch):
    X, y, X_new, y_new = blobs
    clf = fit_feature_classifier(X, y, epochs=30, device="cpu", random_state=0)

    def no_training(*args, **kwargs):
        raise AssertionError("the given classifier should be used")

    # The default classifier is trained by the module that defines fit_feature_classifier.
    monkeypatch.setattr(ganbalance.metrics.feature_classifier, "fit_feature_classifier",
                        no_training)
    report = quality_report(X, y, X_new, y_new, classifier=clf, random_state=0)
    assert report["consistency"].notna().all()
    with pytest.raises(AssertionError, match="given classifier"):
        class_consistency(X, y, X_new, y_new)


def test_feature_extractor_options(blobs):
    X, y, X_new, y_new = blobs
    raw = frechet_distance(X, y, X_new, y_new, feature_extractor="raw")
    scaler = StandardScaler().fit(X)
    same = frechet_distance(X, y, X_new, y_new, feature_extractor=scaler.transform)
    assert raw == pytest.approx(same)
    with pytest.raises(ValueError, match="one row per row"):
        frechet_distance(X, y, X_new, y_new, feature_extractor=lambda A: A[:3])
    with pytest.raises(ValueError, match="feature_extractor must be"):
        frechet_distance(X, y, X_new, y_new, feature_extractor="inception")
    # Any fitted classifier gives consistency; its features need a TorchClassifier.
    logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert class_consistency(X, y, X_new, y_new, classifier=logistic)[0] > 0.9
    with pytest.raises(TypeError, match="TorchClassifier"):
        frechet_distance(X, y, X_new, y_new, classifier=logistic)
    report = quality_report(X, y, X_new, y_new, classifier=logistic, feature_extractor="raw")
    assert report.attrs["feature_space"] == "standardised raw features"


def test_string_labels_and_no_synthetic_rows(blobs):
    X, y, _, _ = blobs
    labels = np.array(["a", "b", "c"])[y]
    report = quality_report(X, labels, np.zeros((0, 5)), np.array([], dtype=str),
                            feature_extractor="raw", epochs=2, device="cpu", random_state=0)
    assert report["class"].tolist() == ["a", "b", "c"]
    assert (report["n_synthetic"] == 0).all() and not report["collapse"].any()
    assert report[["consistency", "frechet_distance", "copy_rate", "variety"]].isna().all().all()
    assert np.isnan(report.attrs["frechet_distance_overall"])
    assert detect_collapse(X, labels, np.zeros((0, 5)), []) == {}


# --------------------------------------------------------------------------- plot


def test_plot(reports):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot_quality_report(reports["copies"])
    assert len(fig.axes) == 1
    ticks = fig.axes[0].get_xticklabels()
    assert len(ticks) == 10 and "FD 0" in ticks[0].get_text()
    plt.close(fig)
    fig, ax = plt.subplots()
    assert plot_quality_report(reports["held_out"].iloc[:3], ax=ax) is fig
    plt.close(fig)
    empty = reports["held_out"].assign(n_synthetic=0)
    fig = plot_quality_report(empty)
    assert fig.axes[0].texts[0].get_text() == "no synthetic rows"
    plt.close(fig)
    with pytest.raises(ValueError, match="lacks the columns"):
        plot_quality_report(reports["held_out"].drop(columns="variety"))


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(k=0), ValueError, "k must be >= 1"),
    (dict(k=2.5), TypeError, "k must be an int"),
    (dict(copy_quantile=1.0), ValueError, "copy_quantile must be < 1"),
    (dict(copy_quantile=0), ValueError, "copy_quantile must be > 0"),
    (dict(shrinkage=-1), ValueError, "shrinkage must be >= 0"),
    (dict(max_copy_rate=1.5), ValueError, "max_copy_rate must be <= 1"),
    (dict(max_samples=1), ValueError, "max_samples must be >= 2"),
    (dict(epochs=0), ValueError, "epochs must be >= 1"),
    (dict(image_shape=(1, 2, 2)), ValueError, "image_shape"),
    (dict(classifier=object()), TypeError, "classifier must be a fitted classifier"),
    (dict(classifier=LogisticRegression()), NotFittedError, "not fitted"),
    (dict(random_state="seed"), TypeError, "random_state"),
])
def test_bad_parameters(blobs, kwargs, error, match):
    with pytest.raises(error, match=match):
        quality_report(*blobs, **kwargs)


def test_bad_data(blobs):
    X, y, X_new, y_new = blobs
    with pytest.raises(ValueError, match="X_synth has 4 features but X_real has 5"):
        copy_rate(X, y, X_new[:, :4], y_new)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in y_real"):
        copy_rate(X, y, X_new, np.where(y_new == 0, 7, y_new))
    with pytest.raises(ValueError, match="same number of rows"):
        variety(X, y, X_new, y_new[:-1])
    with pytest.raises(TypeError, match="X_synth must hold real numbers"):
        variety(X, y, X_new.astype(str), y_new)
    X_nan = X_new.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        copy_rate(X, y, X_nan, y_new)
    with pytest.raises(TypeError, match="per_class must be a bool"):
        frechet_distance(X, y, X_new, y_new, per_class="yes", feature_extractor="raw")
    with pytest.raises(TypeError, match="return_baseline must be a bool"):
        copy_rate(X, y, X_new, y_new, return_baseline=1)


@pytest.mark.parametrize("module", ["feature_classifier", "features", "raw", "report", "plots"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(f"ganbalance.metrics.{module}"),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
