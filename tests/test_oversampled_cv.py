"""OverSampledClassifierCV: the amount chosen by CV, the prior-shift correction, the decision
rules, one sampler fit per inner fold, reproducibility and transactional fits."""

import inspect

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ganbalance import GANOverSampler, OverSampledClassifierCV, TorchClassifier
from ganbalance._docstrings import _entries
from ganbalance._oversampled_folds import correct, extends, new_rows
from ganbalance.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GAN = dict(n_steps=20, batch_size=16, latent_dim=4, device="cpu")


def lr():
    return make_pipeline(StandardScaler(), LogisticRegression())


class CountingSampler(RandomOverSampler):
    """RandomOverSampler that records the sampling_strategy of every fit_resample (clones
    share the class-level list)."""

    calls = []

    def fit_resample(self, X, y, **params):
        type(self).calls.append(dict(self.sampling_strategy))
        return super().fit_resample(X, y, **params)


class ShufflingSampler(RandomOverSampler):
    """Returns the rows shuffled: the originals are not first, so one fit cannot serve every
    ratio."""

    calls = []

    def fit_resample(self, X, y, **params):
        type(self).calls.append(dict(self.sampling_strategy))
        X_res, y_res = super().fit_resample(X, y, **params)
        order = np.random.default_rng(0).permutation(len(y_res))
        return X_res[order], y_res[order]


class RecordingLR(LogisticRegression):
    """LogisticRegression that records the class counts it is fitted on."""

    fits = []

    def fit(self, X, y, sample_weight=None):
        type(self).fits.append(np.bincount(y))
        return super().fit(X, y, sample_weight)


@pytest.fixture(autouse=True)
def _reset_records():
    CountingSampler.calls, ShufflingSampler.calls, RecordingLR.fits = [], [], []


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, weights=[0.85],
                               class_sep=0.8, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer with two overlapping features (mean texture and smoothness) and 60 of
    its malignant tumours: 357 benign, 60 malignant (1)."""
    data = load_breast_cancer()
    X, y = data.data[:, [1, 4]], 1 - data.target
    keep = (y == 0) | (np.cumsum(y) <= 60)
    return X[keep], y[keep]


# ---------------------------------------------------------------- scikit-learn's checks

# The threshold instance passes check_classifiers_train (predict must be the argmax of
# predict_proba) on that check's well-separated blobs with these settings; in general a tuned
# threshold is not the argmax (scikit-learn lists that check as an expected failure of
# FixedThresholdClassifier).
@parametrize_with_checks(
    [OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(), cv=2),
     OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(), cv=2,
                             decision="threshold", thresholds=5)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- ratios and amounts

def test_ratio_is_the_fraction_of_each_gap_filled():
    counts = np.array([100, 10, 40])
    assert new_rows(counts, 0.0).tolist() == [0, 0, 0]
    assert new_rows(counts, 0.5).tolist() == [0, 45, 30]
    assert new_rows(counts, 1.0).tolist() == [0, 90, 60]
    assert new_rows(counts, 0.25).tolist() == [0, 23, 15]  # 22.5 rounds half up


def test_ratio_one_is_imblearns_auto_balance(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  ratios=[1.0], random_state=0).fit(X, y)
    auto = RandomOverSampler().fit(X, y).sampling_strategy_
    assert clf.sampling_strategy_ == {0: 0, **{int(k): int(v) for k, v in auto.items()}}
    assert np.bincount(clf.sampler_.fit_resample(X, y)[1]).tolist() == [max(np.bincount(y))] * 2
    np.testing.assert_allclose(clf.resampled_class_prior_, [0.5, 0.5])


# ---------------------------------------------------------------- the prior-shift correction

def test_correction_matches_a_hand_computation():
    proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    weights = np.array([0.9 / 0.5, 0.1 / 0.5])  # prior 0.9/0.1, resampled 0.5/0.5
    expected = np.array([[1.44 / 1.48, 0.04 / 1.48], [0.54 / 0.68, 0.14 / 0.68]])
    np.testing.assert_allclose(correct(proba, weights), expected)
    three = correct(np.array([[0.2, 0.3, 0.5]]), np.array([2.0, 1.0, 0.5]))
    np.testing.assert_allclose(three, [[0.4 / 0.95, 0.3 / 0.95, 0.25 / 0.95]])
    same = np.array([[0.3, 0.7]])
    assert correct(same, np.ones(2)) is same  # nothing added: untouched


def test_fitted_probabilities_are_the_corrected_estimator_probabilities(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=SMOTE(), ratios=[0.5],
                                  random_state=0).fit(X, y)
    n0, n1 = np.bincount(y)
    new = round(0.5 * (n0 - n1))
    assert clf.sampling_strategy_ == {0: 0, 1: new}
    np.testing.assert_allclose(clf.class_prior_, [n0 / len(y), n1 / len(y)])
    np.testing.assert_allclose(clf.resampled_class_prior_,
                               [n0 / (len(y) + new), (n1 + new) / (len(y) + new)])
    p = clf.estimator_.predict_proba(X)[:, 1]
    odds = p / (1 - p) * (n1 / (n1 + new)) / (n0 / n0)  # the odds scale by the prior ratio
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], odds / (1 + odds))
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))


@pytest.mark.parametrize("sampler", [SMOTE(), GANOverSampler(**GAN)], ids=["SMOTE", "GAN"])
def test_mean_probability_is_the_base_rate_on_breast_cancer(cancer, sampler):
    X, y = cancer
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                        random_state=0)
    clf = OverSampledClassifierCV(lr(), sampler=sampler, ratios=[1.0],
                                  random_state=0).fit(X_train, y_train)
    base = y_train.mean()
    over = clf.estimator_.predict_proba(X_train)[:, 1].mean()
    assert over > base + 0.15  # balanced to 1:1, the model overstates the minority
    assert abs(clf.predict_proba(X_train)[:, 1].mean() - base) < 0.02
    corrected = brier_score_loss(y_test, clf.predict_proba(X_test)[:, 1])
    uncorrected = brier_score_loss(y_test, clf.estimator_.predict_proba(X_test)[:, 1])
    assert corrected < 0.7 * uncorrected


# ---------------------------------------------------------------- choosing the amount

def test_ratio_zero_is_the_plain_estimator(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=CountingSampler(),
                                  ratios=[0.0], decision="most_probable").fit(X, y)
    plain = LogisticRegression().fit(X, y)
    assert clf.best_ratio_ == 0.0 and clf.sampler_ is None
    assert CountingSampler.calls == [] and clf.n_sampler_fits_ == 0
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), plain.predict(X))
    np.testing.assert_array_equal(clf.estimator_.coef_, plain.coef_)


def test_sampler_is_fitted_once_per_inner_fold(imbalanced):
    X, y = imbalanced
    ratios = (0.0, 0.25, 0.5, 1.0)
    clf = OverSampledClassifierCV(RecordingLR(), sampler=CountingSampler(), ratios=ratios,
                                  cv=4, random_state=0).fit(X, y)
    final = clf.best_ratio_ > 0
    assert len(CountingSampler.calls) == 4 + final == clf.n_sampler_fits_
    for (train, _), call in zip(StratifiedKFold(4).split(X, y), CountingSampler.calls,
                                strict=False):
        counts = np.bincount(y[train])
        assert call == {1: counts[0]}  # each fold's one fit: at the largest ratio
    # the estimator saw each fold at every ratio: the originals plus that ratio's new rows
    for fold, (train, _) in enumerate(StratifiedKFold(4).split(X, y)):
        counts = np.bincount(y[train])
        seen = RecordingLR.fits[fold * len(ratios):(fold + 1) * len(ratios)]
        assert [s.tolist() for s in seen] == [(counts + new_rows(counts, r)).tolist()
                                              for r in ratios]
    assert len(RecordingLR.fits) == 4 * len(ratios) + 1


def test_a_sampler_that_shuffles_is_fitted_once_per_ratio(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=ShufflingSampler(),
                                  ratios=(0.0, 0.5, 1.0), random_state=0).fit(X, y)
    final = clf.best_ratio_ > 0
    assert len(ShufflingSampler.calls) == 3 * 2 + final == clf.n_sampler_fits_


def test_extends_recognises_originals_first():
    X, y = make_classification(n_samples=60, n_features=4, weights=[0.8], random_state=0)
    for sampler in (RandomOverSampler(random_state=0), SMOTE(random_state=0),
                    ADASYN(random_state=0), GANOverSampler(**GAN, random_state=0)):
        X_res, y_res = sampler.fit_resample(X, y)
        new = np.bincount(y_res) - np.bincount(y)
        assert extends(X_res, y_res, X, y, np.array([0, 1]), new), sampler
        assert not extends(X_res[::-1], y_res[::-1], X, y, np.array([0, 1]), new)
        assert not extends(X_res, y_res, X, y, np.array([0, 1]), new + 1)
    frame = pd.DataFrame(X, columns=list("abcd"))
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(frame, y)
    new = np.bincount(y_res) - np.bincount(y)
    assert extends(X_res, y_res, frame, y, np.array([0, 1]), new)
    assert not extends(X_res.rename(columns={"a": "z"}), y_res, frame, y, np.array([0, 1]), new)


def test_cv_results_describe_every_ratio(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  ratios=[1.0, 0.0, 0.5], cv=3, random_state=0).fit(X, y)
    results = clf.cv_results_
    np.testing.assert_array_equal(results["ratio"], [0.0, 0.5, 1.0])  # sorted
    gap = np.bincount(y)[0] - np.bincount(y)[1]
    assert results["n_new_samples"].tolist() == [0, round(0.5 * gap), gap]
    scores = np.array([results[f"split{i}_test_score"] for i in range(3)])
    np.testing.assert_allclose(results["mean_test_score"], scores.mean(axis=0))
    best = int(np.argmax(results["mean_test_score"]))
    assert clf.best_ratio_ == results["ratio"][best]
    assert clf.best_score_ == results["mean_test_score"][best]
    assert results["rank_test_score"][best] == 1
    assert clf.best_threshold_ is None and "threshold" not in results


# ---------------------------------------------------------------- decision rules

def test_balanced_decision_at_ratio_one_is_todays_behaviour(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  ratios=[1.0], random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), clf.estimator_.predict(X))
    balanced = np.argmax(clf.predict_proba(X) / clf.class_prior_, axis=1)
    np.testing.assert_array_equal(clf.predict(X), balanced)


def test_most_probable_decision_is_the_argmax_of_predict_proba(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  ratios=[0.5, 1.0], decision="most_probable",
                                  random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(clf.predict_proba(X), axis=1))
    assert (clf.predict(X) != clf.estimator_.predict(X)).any()  # the correction matters


def test_balanced_decision_without_new_rows_weighs_by_the_prior(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), ratios=[0.0]).fit(X, y)
    p = LogisticRegression().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(p / clf.class_prior_, axis=1))


def test_tuned_threshold_matches_scikit_learns(imbalanced):
    X, y = imbalanced
    thresholds = np.linspace(0.05, 0.95, 19)
    clf = OverSampledClassifierCV(LogisticRegression(), ratios=[0.0], decision="threshold",
                                  scoring="f1", thresholds=thresholds, cv=3).fit(X, y)
    tuned = TunedThresholdClassifierCV(LogisticRegression(), scoring="f1",
                                       thresholds=thresholds, cv=3).fit(X, y)
    assert clf.best_threshold_ == pytest.approx(tuned.best_threshold_)
    assert clf.best_score_ == pytest.approx(tuned.best_score_)
    np.testing.assert_array_equal(clf.predict(X), tuned.predict(X))


def test_threshold_decision_thresholds_the_corrected_probability(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  decision="threshold", thresholds=20,
                                  random_state=0).fit(X, y)
    assert clf.cv_results_["threshold"].shape == (3,)
    expected = (clf.predict_proba(X)[:, 1] >= clf.best_threshold_).astype(int)
    np.testing.assert_array_equal(clf.predict(X), expected)


# ---------------------------------------------------------------- estimators and samplers

@pytest.mark.parametrize("sampler", [SMOTE(), RandomOverSampler(), GANOverSampler(**GAN)],
                         ids=["SMOTE", "RandomOverSampler", "GAN"])
def test_multiclass_with_every_sampler(sampler):
    X, y = make_classification(n_samples=240, n_features=6, n_informative=4, n_classes=3,
                               weights=[0.7, 0.2, 0.1], random_state=0)
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=sampler, cv=3,
                                  random_state=0).fit(X, y)
    counts = np.bincount(y)
    assert list(clf.sampling_strategy_.values()) == new_rows(counts, clf.best_ratio_).tolist()
    assert clf.predict_proba(X).shape == (240, 3)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= {0, 1, 2}
    assert clf.n_sampler_fits_ == 3 + (clf.best_ratio_ > 0)  # one fit served every ratio


def test_torch_classifier_and_string_labels(imbalanced):
    X, y = imbalanced
    labels = np.where(y == 1, "rare", "common")
    net = TorchClassifier(MLP, module__hidden=8, lr=0.05, max_epochs=3, device="cpu")
    clf = OverSampledClassifierCV(net, sampler=GANOverSampler(**GAN), cv=2,
                                  random_state=0).fit(X.astype(np.float32), labels)
    assert clf.classes_.tolist() == ["common", "rare"]
    assert set(clf.predict(X.astype(np.float32))) <= {"common", "rare"}
    again = clone(clf).fit(X.astype(np.float32), labels)  # TorchClassifier's seed: ours
    np.testing.assert_array_equal(clf.predict_proba(X.astype(np.float32)),
                                  again.predict_proba(X.astype(np.float32)))


def test_dataframe_with_a_category_and_the_gan():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200),
                          "kind": pd.Categorical(rng.choice(["a", "b", "c"], size=200))})
    y = ((frame["x"] + (frame["kind"] == "a") + rng.normal(scale=0.5, size=200)) > 1.4)
    y = y.astype(int).to_numpy()
    before = frame.copy()
    clf = OverSampledClassifierCV(
        HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=20),
        sampler=GANOverSampler(**GAN), cv=2, random_state=0).fit(frame, y)
    pd.testing.assert_frame_equal(frame, before)
    assert clf.n_sampler_fits_ == 2 + (clf.best_ratio_ > 0)  # DataFrames: one fit per fold
    assert clf.feature_names_in_.tolist() == ["x", "z", "kind"]
    assert clf.predict_proba(frame).shape == (200, 2)


def test_pipeline_and_grid_search(imbalanced):
    X, y = imbalanced
    pipe = make_pipeline(StandardScaler(), OverSampledClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(), random_state=0))
    assert pipe.fit(X, y).predict_proba(X).shape == (300, 2)
    search = GridSearchCV(
        OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                random_state=0),
        {"decision": ["balanced", "most_probable"], "estimator__C": [0.1, 1.0]},
        scoring="neg_brier_score", cv=3).fit(X, y)
    assert set(search.best_params_) == {"decision", "estimator__C"}


# ---------------------------------------------------------------- reproducibility

def test_same_results_for_n_jobs_1_and_2(imbalanced):
    X, y = imbalanced
    fits = [OverSampledClassifierCV(HistGradientBoostingClassifier(max_iter=10),
                                    sampler=GANOverSampler(**GAN), n_jobs=n_jobs,
                                    random_state=3).fit(X, y) for n_jobs in (1, 2)]
    for key, value in fits[0].cv_results_.items():
        np.testing.assert_array_equal(value, fits[1].cv_results_[key])
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_random_state_reproducible_and_global_state_untouched(imbalanced):
    X, y = imbalanced
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    make = lambda seed: OverSampledClassifierCV(  # noqa: E731
        LogisticRegression(), sampler=GANOverSampler(**GAN), ratios=[0.5, 1.0],
        random_state=seed).fit(X, y)
    first, second, other = make(0), make(0), make(1)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_user_seeds_are_kept(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=SMOTE(random_state=7),
                                  ratios=[1.0], random_state=0).fit(X, y)
    assert clf.sampler_.random_state == 7
    unseeded = OverSampledClassifierCV(LogisticRegression(), sampler=SMOTE(), ratios=[1.0],
                                       random_state=0).fit(X, y)
    assert isinstance(unseeded.sampler_.random_state, int)


# ---------------------------------------------------------------- failures

class FailingSampler(RandomOverSampler):
    """Raises on its second fit_resample (after one fold has trained)."""

    calls = []

    def fit_resample(self, X, y, **params):
        type(self).calls.append(1)
        if len(type(self).calls) == 2:
            raise RuntimeError("sampler failed")
        return super().fit_resample(X, y, **params)


def test_failed_fit_changes_nothing(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), sampler=RandomOverSampler(),
                                  random_state=0).fit(X, y)
    before, proba = dict(vars(clf)), clf.predict_proba(X)
    FailingSampler.calls = []
    clf.set_params(sampler=FailingSampler())
    with pytest.raises(RuntimeError, match="sampler failed"):
        clf.fit(X, y)
    clf.set_params(sampler=before["sampler"])
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[key] is value for key, value in before.items())
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    FailingSampler.calls = []
    fresh = OverSampledClassifierCV(LogisticRegression(), sampler=FailingSampler())
    with pytest.raises(RuntimeError, match="sampler failed"):
        fresh.fit(X, y)
    assert not hasattr(fresh, "estimator_") and not hasattr(fresh, "cv_results_")


@pytest.mark.parametrize("params, error, match", [
    (dict(ratios=[]), ValueError, "ratios"),
    (dict(ratios=[0.5, -1.0]), ValueError, "ratios"),
    (dict(ratios=[0.5, 0.5]), ValueError, "ratios"),
    (dict(ratios=["a"]), ValueError, "ratios"),
    (dict(ratios=[[0.5]]), ValueError, "ratios"),
    (dict(thresholds=[]), ValueError, "thresholds"),
    (dict(decision="best"), ValueError, "decision"),
    (dict(scoring="no_such_metric"), ValueError, "scoring"),
    (dict(scoring="roc_auc", decision="threshold"), ValueError, "scoring"),
    (dict(sampler=RandomUnderSampler()), ValueError, "over-sampler"),
    (dict(sampler=object()), ValueError, "sampler"),
    (dict(estimator=object()), ValueError, "estimator"),
    (dict(cv=0), ValueError, "cv"),
])
def test_bad_parameters_fail_before_training(imbalanced, params, error, match):
    X, y = imbalanced
    defaults = dict(estimator=RecordingLR(), sampler=CountingSampler())
    clf = OverSampledClassifierCV(**{**defaults, **params})
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert CountingSampler.calls == [] and RecordingLR.fits == []


def test_bad_data_fails_before_training(imbalanced):
    X, y = imbalanced
    y3 = np.where(np.arange(300) % 50 == 0, 2, y)
    make = lambda **p: OverSampledClassifierCV(RecordingLR(), sampler=CountingSampler(), **p)  # noqa: E731
    with pytest.raises(ValueError, match="Only binary classification"):
        make(decision="threshold").fit(X, y3)
    with pytest.raises(ValueError, match="scoring='f1' cannot score this y"):
        make(scoring="f1").fit(X, y3)
    with pytest.raises(ValueError, match="at least 2 classes"):
        make().fit(X, np.zeros(300, dtype=int))
    with pytest.raises(ValueError, match="same number|inconsistent numbers"):
        make().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2-D X"):
        make().fit(X[:, 0], y)
    one = np.where(np.arange(300) == 0, 2, y)  # a class of one row: a fold cannot train on it
    with pytest.raises(ValueError, match="Training fold .* class 2"), \
            pytest.warns(UserWarning, match="least populated class"):
        make().fit(X, one)
    assert CountingSampler.calls == [] and RecordingLR.fits == []


def test_callers_arrays_are_not_changed(imbalanced):
    X, y = imbalanced
    X_before, y_before = X.copy(), y.copy()
    OverSampledClassifierCV(LogisticRegression(), sampler=SMOTE(), random_state=0).fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_a_sampling_strategy_of_the_sampler_is_ignored_with_a_warning(imbalanced):
    X, y = imbalanced
    clf = OverSampledClassifierCV(LogisticRegression(), ratios=[1.0],
                                  sampler=RandomOverSampler(sampling_strategy=0.5))
    with pytest.warns(UserWarning, match="sampling_strategy is ignored"):
        clf.fit(X, y)
    assert clf.resampled_class_prior_.tolist() == [0.5, 0.5]


def test_every_parameter_has_a_docstring_entry():
    names = [name for name in inspect.signature(OverSampledClassifierCV.__init__).parameters
             if name != "self"]
    entries = _entries(OverSampledClassifierCV.__doc__)
    assert [name for name in names if name not in entries] == []
