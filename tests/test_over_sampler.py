"""GANOverSampler: counts, dtypes, pandas, determinism, RNG hygiene, pickling, modes, bad input."""

import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from ganbalance import AffineOverSampler, ConditionalGAN, GANOverSampler
from ganbalance.exceptions import GANCollapseWarning
from ganbalance.metrics import copy_rate

FAST = dict(n_steps=6, batch_size=16, device="cpu")


@pytest.fixture(scope="module")
def digits():
    """Three digit classes from scikit-learn's 8x8 digits, made imbalanced: 40 / 10 / 1."""
    X, y = load_digits(n_class=3, return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 1)[:10],
                           np.flatnonzero(y == 2)[:1]])
    return X[keep], y[keep]


@pytest.fixture(scope="module")
def tabular():
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.8, 0.2], random_state=0)
    return X, y


def test_counts_and_order_images(digits):
    X, y = digits
    X_res, y_res = GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 40, 1: 40, 2: 40}
    np.testing.assert_array_equal(X_res[: len(X)], X)  # originals first, unchanged, in order
    np.testing.assert_array_equal(y_res[: len(y)], y)
    assert np.all(np.isfinite(X_res))
    assert X_res.min() >= X.min() and X_res.max() <= X.max()


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("auto", {0: 40, 1: 40, 2: 40}),
        ("minority", {0: 40, 1: 10, 2: 40}),
        ("not minority", {0: 40, 1: 40, 2: 1}),
        ("not majority", {0: 40, 1: 40, 2: 40}),
        ("all", {0: 40, 1: 40, 2: 40}),
        ({1: 25, 2: 7}, {0: 40, 1: 25, 2: 7}),
        (lambda y: {2: 13}, {0: 40, 1: 10, 2: 13}),
    ],
)
def test_every_sampling_strategy(digits, strategy, expected):
    X, y = digits
    sampler = GANOverSampler(sampling_strategy=strategy, random_state=0, **FAST)
    _, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res) == expected


def test_float_strategy_binary(tabular):
    X, y = tabular
    _, y_res = GANOverSampler(sampling_strategy=0.5, random_state=0, **FAST).fit_resample(X, y)
    counts = Counter(y_res)
    assert counts[1] == int(np.round(0.5 * counts[0])) or counts[1] == int(0.5 * counts[0])


def test_float_strategy_rejected_for_multiclass(digits):
    X, y = digits
    with pytest.raises(ValueError, match="sampling_strategy"):
        GANOverSampler(sampling_strategy=0.5, **FAST).fit_resample(X, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept(digits, dtype):
    X, y = digits
    X_res, _ = GANOverSampler(random_state=0, **FAST).fit_resample(X.astype(dtype), y)
    assert X_res.dtype == dtype


def test_pandas_in_pandas_out(tabular):
    pd = pytest.importorskip("pandas")
    X, y = tabular
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    s = pd.Series(y, name="target")
    X_res, y_res = GANOverSampler(random_state=0, **FAST).fit_resample(df, s)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list(df.columns)
    assert isinstance(y_res, pd.Series) and y_res.name == "target"


@pytest.mark.parametrize("labels", [np.array(["cat", "dog"]), np.array([-1, 1])])
def test_string_and_negative_labels(tabular, labels):
    X, y = tabular
    y = labels[y]
    sampler = GANOverSampler(random_state=0, **FAST)
    X_res, y_res = sampler.fit_resample(X, y)
    assert set(y_res) == set(labels)
    assert Counter(y_res)[labels[1]] == Counter(y)[labels[0]]
    assert sampler.sample(3, y=labels[1]).shape == (3, X.shape[1])


def test_tabular_rows_in_original_scale(tabular):
    X, y = tabular
    X = X * 100 + 1000
    X_res, _ = GANOverSampler(random_state=0, **FAST).fit_resample(X, y)
    new = X_res[len(X):]
    assert np.all(new >= X.min(axis=0)) and np.all(new <= X.max(axis=0))
    assert abs(new.mean() - X.mean()) < 5 * X.std()


def test_determinism_and_global_rng_untouched(digits):
    X, y = digits
    np.random.seed(123)
    torch.manual_seed(123)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    a = GANOverSampler(image_shape=(1, 8, 8), random_state=7, **FAST).fit_resample(X, y)[0]
    b = GANOverSampler(image_shape=(1, 8, 8), random_state=7, **FAST).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    after_np = np.random.get_state()
    assert after_np[0] == np_state[0] and np.array_equal(after_np[1], np_state[1])
    assert torch.equal(torch.get_rng_state(), torch_state)
    c = GANOverSampler(image_shape=(1, 8, 8), random_state=8, **FAST).fit_resample(X, y)[0]
    assert not np.array_equal(a, c)


def test_random_state_none_leaves_global_rng(digits):
    X, y = digits
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    torch_before = torch.get_rng_state()
    GANOverSampler(**FAST).fit_resample(X, y)
    assert np.array_equal(np.random.get_state()[1], before)
    assert torch.equal(torch.get_rng_state(), torch_before)


def test_refit_same_instance_identical(digits):
    X, y = digits
    sampler = GANOverSampler(random_state=3, **FAST)
    a = sampler.fit_resample(X, y)[0]
    b = sampler.fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)


def test_pickle_round_trip(digits):
    X, y = digits
    sampler = GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST)
    sampler.fit_resample(X, y)
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone.device_ == "cpu"
    np.testing.assert_array_equal(sampler.sample(5, y=2, random_state=1),
                                  clone.sample(5, y=2, random_state=1))
    assert not clone.generators_[2].generator_.training


@pytest.mark.parametrize("image_shape", [None, (1, 8, 8)])
def test_per_class_mode(digits, image_shape):
    X, y = digits
    sampler = GANOverSampler(mode="per_class", image_shape=image_shape, random_state=0, **FAST)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res) == {0: 40, 1: 40, 2: 40}
    assert set(sampler.generators_) == {1, 2}  # the majority class needs no GAN
    assert sampler.generators_[1] is not sampler.generators_[2]
    assert sampler.generators_[2].classes_ is None  # trained on that class alone
    assert set(sampler.history_) == {1, 2}
    np.testing.assert_array_equal(X_res[: len(X)], X)


def test_shared_mode_one_gan(digits):
    X, y = digits
    sampler = GANOverSampler(random_state=0, **FAST).fit(X, y)
    assert not hasattr(sampler, "generators_")  # fit only checks; fit_resample trains
    sampler.fit_resample(X, y)
    gans = {id(g) for g in sampler.generators_.values()}
    assert len(gans) == 1 and set(sampler.generators_) == {0, 1, 2}
    assert sampler.sample(4, y=0).shape == (4, X.shape[1])  # the majority class too
    assert len(sampler.history_["d_loss"]) == FAST["n_steps"]


def _new_rows(sampler, X, y, label):
    X_res, y_res = sampler.fit_resample(X, y)
    return X_res[len(X):][y_res[len(X):] == label]


def test_one_sample_class_gets_variation(digits):
    """A class with one image is generated as varied images of that class, not noise or copies."""
    X, y = digits
    # A classifier trained on all the real digits 0, 1 and 2 judges the new 2s. It is not
    # translation invariant, and an 8x8 image moves a lot under a one-pixel shift, so the
    # check without augmentation is strict and the one with it is relative to the baseline.
    X_all, y_all = load_digits(n_class=3, return_X_y=True)
    judge = LogisticRegression(max_iter=2000).fit(X_all, y_all)
    params = dict(image_shape=(1, 8, 8), random_state=0, n_steps=30, batch_size=16, device="cpu")
    new = _new_rows(GANOverSampler(augment=False, **params), X, y, 2)
    assert len(new) == 39
    assert np.mean(judge.predict(new) == 2) >= 0.9
    assert len(np.unique(new.round(3), axis=0)) == len(new)  # not 39 copies
    assert np.abs(new - X[y == 2][0]).mean(axis=1).min() > 0.1
    new = _new_rows(GANOverSampler(**params), X, y, 2)
    affine = _new_rows(AffineOverSampler(image_shape=(1, 8, 8), random_state=0), X, y, 2)
    assert np.mean(judge.predict(new) == 2) >= np.mean(judge.predict(affine) == 2)


def test_sample_method(digits):
    X, y = digits
    sampler = GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST)
    sampler.fit_resample(X, y)
    out = sampler.sample(50, y=2)
    assert out.shape == (50, 64) and out.dtype == X.dtype
    with pytest.raises(ValueError, match="y must be one of"):
        sampler.sample(5, y=9)
    q = sampler.sample(20, y=2, random_state=0, latent_quantization=2.0)
    assert q.shape == (20, 64)


def test_latent_quantization_reduces_variety(digits):
    X, y = digits
    gan = ConditionalGAN(image_shape=(1, 8, 8), random_state=0, latent_dim=2, augment=False,
                         **FAST).fit(X, y)
    coarse = gan.sample(200, y=0, random_state=0, latent_quantization=10.0)
    # With a step of 10, every latent coordinate rounds to 0: without augmentation the output
    # depends only on the reference image, so there are at most 40 distinct rows (one per real
    # class-0 image).
    assert len(np.unique(coarse.round(5), axis=0)) <= 40
    free = gan.sample(200, y=0, random_state=0)
    assert len(np.unique(free.round(5), axis=0)) == 200


def test_collapse_warning_for_copies(tabular):
    X, y = tabular
    with pytest.warns(GANCollapseWarning, match="class 1: .*exact copies") as record:
        # An untrained reference generator returns its reference: copies.
        GANOverSampler(generator="reference", n_steps=0, random_state=0,
                       device="cpu").fit_resample(X, y)
    # The warning names the caller's line, not a frame inside imblearn or ganbalance.
    assert {w.filename for w in record if w.category is GANCollapseWarning} == {__file__}


def test_collapse_warning_points_at_caller_through_a_pipeline(tabular):
    X, y = tabular
    pipe = make_pipeline(GANOverSampler(generator="reference", n_steps=0, random_state=0,
                                        device="cpu"),
                         LogisticRegression())
    with pytest.warns(GANCollapseWarning) as record:
        pipe.fit(X, y)
    assert {w.filename for w in record if w.category is GANCollapseWarning} == {__file__}


def test_no_collapse_warning_when_varied(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANCollapseWarning)
        GANOverSampler(image_shape=(1, 8, 8), random_state=0, n_steps=30, batch_size=16,
                       device="cpu").fit_resample(X, y)


def test_tabular_default_copies_no_more_than_smote(tabular):
    """The default table generator interpolates (judged in pairs, so copies are caught): its
    new rows are no closer to real rows than SMOTE's."""
    from imblearn.over_sampling import SMOTE

    X, y = tabular
    sampler = GANOverSampler(random_state=0, device="cpu")
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.generators_[1].discriminator_type_ == "pair"
    assert sampler.generators_[1].generator_type_ == "interpolate"
    X_smote, y_smote = SMOTE(random_state=0).fit_resample(X, y)
    ours = copy_rate(X, y, X_res[len(X):], y_res[len(X):])[1]
    smote = copy_rate(X, y, X_smote[len(X):], y_smote[len(X):])[1]
    assert ours <= smote


def test_quality_report(digits):
    pytest.importorskip("pandas")
    X, y = digits
    sampler = GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST)
    sampler.fit_resample(X, y)
    report = sampler.quality_report(X, y, random_state=0, epochs=2)
    assert list(report["class"]) == [0, 1, 2]
    assert report.loc[report["class"] == 2, "n_synthetic"].item() == 39
    assert report.loc[report["class"] == 0, "n_synthetic"].item() == 0
    every = sampler.quality_report(X, y, n_samples=12, random_state=0, epochs=2)
    assert list(every["n_synthetic"]) == [12, 12, 12]
    with pytest.raises(ValueError, match="n_samples"):
        sampler.quality_report(X, y, n_samples=0)


def test_quality_report_when_nothing_was_generated(digits):
    pytest.importorskip("pandas")
    X, y = digits
    sampler = GANOverSampler(sampling_strategy={2: 1}, random_state=0, **FAST)
    sampler.fit_resample(X, y)
    with pytest.raises(ValueError, match="nothing to report"):
        sampler.quality_report(X, y)


def test_callbacks_reach_the_gan(digits):
    X, y = digits
    steps = []
    GANOverSampler(callbacks=[lambda gan, step, logs: steps.append(step)], random_state=0,
                   **FAST).fit_resample(X, y)
    assert steps == list(range(1, FAST["n_steps"] + 1))


def test_in_imblearn_pipeline(tabular):
    X, y = tabular
    pipe = make_pipeline(GANOverSampler(random_state=0, **FAST), LogisticRegression())
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.7


def test_noise_generator(digits):
    X, y = digits
    X_res, y_res = GANOverSampler(generator="noise", image_shape=(1, 8, 8), random_state=0,
                                  **FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 40, 1: 40, 2: 40}


def test_rectangular_multichannel_images():
    rng = np.random.default_rng(0)
    X = rng.random((30, 3 * 12 * 9))
    y = np.array([0] * 25 + [1] * 5)
    X_res, y_res = GANOverSampler(image_shape=(3, 12, 9), random_state=0, **FAST).fit_resample(X, y)
    assert X_res.shape == (50, 3 * 12 * 9)


# --------------------------------------------------------------------- bad input
def _bad(X, y, match, exc=ValueError, **params):
    with pytest.raises(exc, match=match):
        GANOverSampler(**{**FAST, **params}).fit_resample(X, y)


def test_nan_and_inf_in_X(tabular):
    X, y = tabular
    for value in (np.nan, np.inf):
        Xb = X.copy()
        Xb[0, 0] = value
        _bad(Xb, y, "missing values|infinity", handle_missing="error")
    Xb = X.copy()
    Xb[0, 0] = np.inf
    _bad(Xb, y, "infinity")  # infinity is never a missing value


def test_length_mismatch(tabular):
    X, y = tabular
    _bad(X, y[:-1], "same number of rows")


def test_one_class(tabular):
    X, _ = tabular
    _bad(X, np.zeros(len(X)), "more than 1 class|one class")


def test_continuous_and_nan_y(tabular):
    X, y = tabular
    _bad(X, y + 0.5, "continuous|Unknown label type")
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    _bad(X, y_nan, "NaN|Unknown label type")


def test_bad_X_shapes(tabular):
    X, y = tabular
    _bad(X[:, 0], y, "2D array|2-D|Expected 2D")
    _bad(X[:0], y[:0], "0 sample|empty|minimum of 1|more than 1 class")
    _bad(X[:, :0], y, "0 feature")


def test_complex_X_refused():
    y = np.array([0] * 7 + [1] * 3)
    _bad(np.ones((10, 2), dtype=complex), y, "X must hold real numbers", exc=ValueError)


@pytest.mark.parametrize("X_str", [np.array([["a", "b"]] * 7 + [["c", "d"]] * 3, dtype=object),
                                   np.array([["a", "b"]] * 7 + [["c", "d"]] * 3)])
def test_string_arrays_are_categories(X_str):
    """Strings are categories (categorical_features='auto'): new rows hold seen values only."""
    y = np.array([0] * 7 + [1] * 3)
    X_res, y_res = GANOverSampler(**FAST, random_state=0).fit_resample(X_str, y)
    assert X_res.dtype == X_str.dtype and X_res.shape == (14, 2)
    assert set(map(tuple, X_res[y_res == 1].tolist())) <= {("c", "d"), ("c", "b"), ("a", "d"),
                                                           ("a", "b")}
    assert set(X_res[:, 0]) <= {"a", "c"} and set(X_res[:, 1]) <= {"b", "d"}


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(image_shape=(1, 8, 9)), "image_shape"),
        (dict(image_shape=(0, 8, 8)), "image_shape"),
        (dict(image_shape=(1, -8, -8)), "image_shape"),
        (dict(image_shape=(1, 64)), "image_shape"),
        (dict(image_shape=(4, 4, 4)), "image_shape"),
        (dict(sampling_strategy="some"), "sampling_strategy"),
        (dict(sampling_strategy={0: 5}), "sampling_strategy|number of samples"),
        (dict(random_state="seed"), "random_state"),
        (dict(device="gpu"), "device"),
        (dict(device="cuda:x"), "device"),
        (dict(latent_quantization=0.0), "latent_quantization"),
        (dict(latent_quantization=-1.0), "latent_quantization"),
        (dict(n_steps=-1), "n_steps"),
        (dict(n_steps=10**9), "n_steps"),
        (dict(batch_size=0), "batch_size"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(mode="each"), "mode"),
        (dict(generator="vae"), "generator"),
        (dict(loss="wasserstein"), "loss"),
        (dict(ema_decay=1.5), "ema_decay"),
    ],
)
def test_bad_parameters(digits, params, match):
    X, y = digits
    _bad(X, y, match, exc=(ValueError, TypeError), **params)


def test_unavailable_cuda_is_a_clear_error(digits):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, y = digits
    _bad(X, y, "CUDA is not available", device="cuda")


def test_caller_arrays_not_modified(digits):
    X, y = digits
    X_copy, y_copy = X.copy(), y.copy()
    GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST).fit_resample(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_sparse_X_rejected(tabular):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = tabular
    _bad(sparse.csr_matrix(X), y, "[Ss]parse", exc=TypeError)


def test_sample_after_fit_points_to_fit_resample(tabular):
    """imblearn's fit checks the inputs only; the error says what to call instead."""
    X, y = tabular
    sampler = GANOverSampler(n_steps=2, random_state=0, device="cpu").fit(X, y)
    with pytest.raises(NotFittedError, match=r"call fit_resample\(X, y\) first"):
        sampler.sample(2, y=1)


def test_sample_refuses_a_bool_label(tabular):
    X, y = tabular
    sampler = GANOverSampler(n_steps=2, random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANCollapseWarning)
        sampler.fit_resample(X, y)
    with pytest.raises(ValueError, match="y must be one of the classes"):
        sampler.sample(2, y=True)


def test_verbose_accepts_a_bool(tabular, capsys):
    X, y = tabular
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANCollapseWarning)
        GANOverSampler(n_steps=2, random_state=0, device="cpu", verbose=True).fit_resample(X, y)
    assert "GAN" in capsys.readouterr().err


@pytest.mark.parametrize("make", [
    lambda rs: GANOverSampler(n_steps=2, image_shape=(1, 8, 8), device="cpu", random_state=rs),
    lambda rs: AffineOverSampler(image_shape=(1, 8, 8), random_state=rs),
])
def test_numpy_generator_as_random_state(digits, make):
    """Like the other estimators, the samplers take a numpy Generator as random_state."""
    X, y = digits
    X_a, _ = make(np.random.default_rng(5)).fit_resample(X, y)
    X_b, _ = make(np.random.default_rng(5)).fit_resample(X, y)
    np.testing.assert_array_equal(X_a, X_b)
