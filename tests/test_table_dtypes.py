"""Tables as users hand them over: every column dtype, missing values, wide and identifying
columns, values at the edges of their types, and clear errors for what cannot be generated.

These run against whatever pandas is installed (CI runs them on the oldest pandas we declare
and on the newest, pandas 3 with its ``str`` dtype).
"""

import numpy as np
import pytest

from ganbalance import AffineOverSampler, ConditionalGAN, GANOverSampler, ReferenceDenoiser
from ganbalance.tabular import TableEncoder

pd = pytest.importorskip("pandas")
FAST = dict(n_steps=20, batch_size=32, device="cpu", random_state=0)
N = 120
Y = np.array([0] * 90 + [1] * 30)
PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3


def _arrow(name):
    pa = pytest.importorskip("pyarrow")
    return pd.ArrowDtype(getattr(pa, name)())


def _str_dtype():
    try:
        return pd.StringDtype(storage="python", na_value=np.nan)  # pandas 3's 'str'
    except TypeError:
        pytest.skip("this pandas has no NaN-backed string dtype")


def _values(kind, rng):
    if kind == "int":
        return rng.integers(0, 50, N)
    if kind == "float":
        return rng.normal(size=N)
    if kind == "bool":
        return rng.random(N) < 0.4
    if kind == "text":
        return rng.choice(["red", "green", "blue"], N).astype(object)
    if kind == "time":
        return np.datetime64("2024-01-01T00:00:00") + rng.integers(0, 10**6, N).astype(
            "timedelta64[s]")
    return rng.integers(0, 10**6, N).astype("timedelta64[s]")


# (name, kind of values, how to build the column, whether it can hold missing values)
DTYPES = [
    ("int8", "int", lambda v: v.astype(np.int8), False),
    ("uint8", "int", lambda v: v.astype(np.uint8), False),
    ("int64", "int", lambda v: v.astype(np.int64), False),
    ("float32", "float", lambda v: v.astype(np.float32), True),
    ("float64", "float", lambda v: v, True),
    ("bool", "bool", lambda v: v, False),
    ("Int64", "int", lambda v: pd.array(v, dtype="Int64"), True),
    ("UInt16", "int", lambda v: pd.array(v, dtype="UInt16"), True),
    ("Float64", "float", lambda v: pd.array(v, dtype="Float64"), True),
    ("boolean", "bool", lambda v: pd.array(v, dtype="boolean"), True),
    ("category", "text", lambda v: pd.Categorical(v), True),
    ("ordered category, unused level", "text",
     lambda v: pd.Categorical(v, categories=["blue", "green", "red", "unused"], ordered=True),
     True),
    ("object", "text", lambda v: pd.Series(v, dtype=object), True),
    ("string", "text", lambda v: pd.array(v, dtype="string"), True),
    ("string[pyarrow]", "text",
     lambda v: pd.array(v, dtype=(pytest.importorskip("pyarrow"), "string[pyarrow]")[1]), True),
    ("str", "text", lambda v: pd.array(v, dtype=_str_dtype()), True),
    ("arrow int64", "int", lambda v: pd.array(v, dtype=_arrow("int64")), True),
    ("arrow float64", "float", lambda v: pd.array(v, dtype=_arrow("float64")), True),
    ("arrow string", "text", lambda v: pd.array(v, dtype=_arrow("string")), True),
    ("arrow bool", "bool", lambda v: pd.array(v, dtype=_arrow("bool_")), True),
    ("datetime64[s]", "time", lambda v: pd.Series(v), True),
    ("datetime64[ns]", "time", lambda v: pd.Series(v.astype("datetime64[ns]")), True),
    ("datetime tz-aware", "time",
     lambda v: pd.Series(v.astype("datetime64[ns]")).dt.tz_localize("Europe/Oslo",
                                                                      ambiguous="NaT",
                                                                      nonexistent="NaT"),
     True),
    ("timedelta64[s]", "delta", lambda v: pd.Series(v), True),
]


def _frame(build, kind, missing, seed=0):
    rng = np.random.default_rng(seed)
    column = pd.Series(build(_values(kind, rng)))
    if missing:
        column = column.copy()
        column[rng.random(N) < 0.2] = None
    return pd.DataFrame({"x": rng.normal(size=N), "col": column})


def _same_column_values(new, old):
    """Every present new value is one seen (categories) or inside the range seen (numbers)."""
    present_new, present_old = new.dropna(), old.dropna()
    if isinstance(old.dtype, pd.CategoricalDtype) or old.dtype == object or \
            pd.api.types.is_string_dtype(old.dtype) or pd.api.types.is_bool_dtype(old.dtype):
        assert set(present_new) <= set(present_old)
    else:
        assert present_new.min() >= present_old.min()
        assert present_new.max() <= present_old.max()


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("name, kind, build, can_miss", DTYPES, ids=[d[0] for d in DTYPES])
def test_every_dtype_comes_back_with_values_seen(name, kind, build, can_miss, missing):
    if missing and not can_miss:
        pytest.skip("this dtype cannot hold missing values")
    X = _frame(build, kind, missing)
    before = X.copy()
    X_res, y_res = GANOverSampler(**FAST).fit_resample(X, Y)
    assert X.equals(before)  # the caller's frame is untouched
    assert X_res.dtypes.equals(X.dtypes)
    assert X_res["col"].dtype == X["col"].dtype
    pd.testing.assert_frame_equal(X_res.iloc[:N], X)  # the originals come back as they were
    new = X_res["col"].iloc[N:]
    assert len(new) == 60
    _same_column_values(new, X["col"])
    if not missing:
        assert not new.isna().any()


def test_pandas_3_text_column_from_a_csv(tmp_path):
    """The issue's reproduction: a table read from a CSV, text columns and missing values."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"age": rng.integers(18, 80, N), "income": rng.normal(5e4, 1e4, N),
                          "city": rng.choice(["Oslo", "Rome", "Lima"], N)})
    frame.loc[rng.random(N) < 0.15, "income"] = np.nan
    frame.loc[rng.random(N) < 0.15, "city"] = None
    frame.to_csv(tmp_path / "table.csv", index=False)
    X = pd.read_csv(tmp_path / "table.csv")
    if PANDAS_3:
        assert X["city"].dtype == "str"
    X_res, _ = GANOverSampler(**FAST).fit_resample(X, Y)
    assert X_res.dtypes.equals(X.dtypes)
    assert set(X_res["city"].dropna()) <= {"Oslo", "Rome", "Lima"}


# --------------------------------------------------------------------- missing values
def _linked_missing(seed=0):
    """Missing values with a structure: 'b' is missing exactly where 'a' is, only in class 1,
    and 'city' is missing in a quarter of the rows of each class."""
    rng = np.random.default_rng(seed)
    n1 = 150
    y = np.array([0] * 450 + [1] * n1)
    a = rng.normal(size=len(y)) + y
    b = a * 2 + rng.normal(scale=0.1, size=len(y))
    gone = (y == 1) & (rng.random(len(y)) < 0.4)
    a[gone], b[gone] = np.nan, np.nan
    city = pd.Series(rng.choice(["Oslo", "Rome"], len(y)), dtype=object)
    city[rng.random(len(y)) < 0.25] = None
    return pd.DataFrame({"a": a, "b": b, "city": city}), y


def test_new_rows_carry_missing_values_like_the_class():
    X, y = _linked_missing()
    X_res, y_res = GANOverSampler(random_state=0, device="cpu").fit_resample(X, y)
    new = X_res.iloc[len(X):]
    assert (y_res[len(X):] == 1).all() and len(new) == 300
    rate = new["a"].isna().mean()
    assert 0.25 <= rate <= 0.55  # the class's rate is 0.4; no imputation, no dropping
    # Missingness keeps its link to the other columns: 'b' is missing where 'a' is.
    assert (new["a"].isna() == new["b"].isna()).mean() >= 0.9
    assert 0.1 <= new["city"].isna().mean() <= 0.4
    assert set(new["city"].dropna()) <= {"Oslo", "Rome"}
    # A missing cell is written as the column writes it: None in this object column.
    assert all(v is None for v in new["city"][new["city"].isna()])


def test_missing_values_can_be_refused():
    X, y = _linked_missing()
    sampler = GANOverSampler(handle_missing="error", **FAST)
    with pytest.raises(ValueError, match="column 'a' has missing values.*handle_missing"):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "generators_")


def test_numpy_arrays_with_missing_values():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 3))
    X[rng.random((N, 3)) < 0.1] = np.nan
    X_res, _ = GANOverSampler(**FAST).fit_resample(X, Y)
    assert X_res.dtype == X.dtype and np.isnan(X_res[N:]).any()
    np.testing.assert_array_equal(X_res[:N], X)
    obj = np.array([["a", 1.5], [None, 2.0], ["b", np.nan]] * 40, dtype=object)
    X_res, _ = GANOverSampler(**FAST).fit_resample(obj, Y)
    assert X_res.dtype == object
    assert {v for v in X_res[N:, 0] if v is not None} <= {"a", "b"}


def test_missing_values_in_the_same_fit_are_reproducible():
    X, y = _linked_missing()
    first = GANOverSampler(**FAST).fit_resample(X, y)[0]
    second = GANOverSampler(**FAST).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(first, second)


def test_missing_value_unseen_in_fit_is_named():
    X, _ = _linked_missing()
    enc = TableEncoder().fit(X.fillna({"a": 0.0, "b": 0.0}).iloc[:400])
    with pytest.raises(ValueError, match="column 'a' has missing values, but it had none"):
        enc.transform(X)


# --------------------------------------------------------------------- wide and identifying
def test_identifier_and_free_text_columns_are_refused():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=N), "customer_id": [f"C{i:05d}" for i in range(N)]})
    with pytest.raises(ValueError, match="column 'customer_id' looks like an identifier"):
        GANOverSampler(**FAST).fit_resample(X, Y)
    X["customer_id"] = [f"C{i % 60:05d}" for i in range(N)]  # repeated: a real category
    GANOverSampler(**FAST).fit_resample(X, Y)
    X["customer_id"] = [f"C{i:05d}" for i in range(N)]  # the documented way out
    GANOverSampler(max_categories=N, **FAST).fit_resample(X, Y)


def test_many_categories_are_grouped_with_bounded_width():
    rng = np.random.default_rng(0)
    n = 3000
    codes = rng.zipf(1.3, n) % 2000  # a long tail: a few frequent values, many rare ones
    X = pd.DataFrame({"x": rng.normal(size=n), "shop": pd.Series([f"s{c}" for c in codes])})
    y = (rng.random(n) < 0.2).astype(int)
    enc = TableEncoder(max_categories=30).fit(X)
    assert enc.n_encoded_ == 1 + 30  # 29 frequent shops and one column for the rest
    sampler = GANOverSampler(max_categories=30, **FAST)
    X_res, _ = sampler.fit_resample(X, y)
    new = X_res["shop"].iloc[n:]
    assert set(new) <= set(X["shop"])
    rare = set(X["shop"].value_counts().index[29:])
    assert new.isin(rare).any()  # rare values are drawn, not dropped
    again = GANOverSampler(max_categories=30, **FAST).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(X_res, again)


# --------------------------------------------------------------------- edges of the types
def test_integers_at_the_limits_of_their_types():
    big = np.iinfo(np.int64).max
    X = pd.DataFrame({
        "i64": np.array([big - i for i in range(N)], dtype=np.int64),
        "neg": np.array([-big - 1 + i for i in range(N)], dtype=np.int64),
        "u64": np.array([2**64 - 1 - i for i in range(N)], dtype=np.uint64),
        "nullable": pd.array([2**64 - 1 - i for i in range(N)], dtype="UInt64"),
    })
    X_res, _ = GANOverSampler(**FAST).fit_resample(X, Y)
    for column in X.columns:
        new = X_res[column].iloc[N:]
        assert new.min() >= X[column].min() and new.max() <= X[column].max()
        assert new.nunique() > 1  # values vary, not all clamped to one end
    python_ints = np.array([[2**70 + i, float(i)] for i in range(N)], dtype=object)
    X_res, _ = GANOverSampler(**FAST).fit_resample(python_ints, Y)
    assert all(isinstance(v, int) and 2**70 <= v < 2**70 + N for v in X_res[N:, 0])


def test_uint8_images_come_back_as_uint8():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (40, 64)).astype(np.uint8)
    y = np.array([0] * 30 + [1] * 10)
    for sampler in (GANOverSampler(image_shape=(1, 8, 8), **FAST),
                    AffineOverSampler(image_shape=(1, 8, 8), random_state=0)):
        X_res, _ = sampler.fit_resample(X, y)
        assert X_res.dtype == np.uint8
        np.testing.assert_array_equal(X_res[:40], X)
    assert GANOverSampler(image_shape=(1, 8, 8), **FAST).fit(X, y) is not None
    gan = ConditionalGAN(image_shape=(1, 8, 8), **FAST).fit(X, y)
    assert gan.sample(3, y=1).dtype == np.uint8


# --------------------------------------------------------------------- clear errors
@pytest.mark.parametrize("cells, match", [
    ([{"a": 1}, {"b": 2}], "column 'col' holds a dict value"),
    ([[1, 2], [3]], "column 'col' holds a list value"),
    (["a", 1], "column 'col' mixes value types: str .*number"),
    (["a", True], "column 'col' mixes value types"),
])
def test_cells_that_cannot_be_a_category(cells, match):
    X = pd.DataFrame({"x": np.arange(N, dtype=float),
                      "col": pd.Series([cells[i % len(cells)] for i in range(N)], dtype=object)})
    sampler = GANOverSampler(**FAST)
    with pytest.raises(TypeError, match=match):
        sampler.fit_resample(X, Y)
    assert not hasattr(sampler, "generators_")


@pytest.mark.parametrize("column", [
    pd.period_range("2020-01", periods=N, freq="M"),
    pd.interval_range(0, N),
])
def test_period_and_interval_columns_are_refused_by_name(column):
    X = pd.DataFrame({"x": np.arange(N, dtype=float), "when": column})
    with pytest.raises(TypeError, match="column 'when' has dtype"):
        GANOverSampler(**FAST).fit_resample(X, Y)


def test_polars_frame_gets_a_clear_error():
    pl = pytest.importorskip("polars")
    X = pl.DataFrame({"x": np.arange(N, dtype=float), "city": ["a", "b"] * (N // 2)})
    with pytest.raises(TypeError, match=r"polars DataFrame.*to_pandas\(\)"):
        GANOverSampler(**FAST).fit_resample(X, Y)


@pytest.mark.parametrize("strategy", [{1: float("nan")}, {1: 42.5}])
def test_sampling_strategy_counts_must_be_whole(strategy):
    X = np.random.default_rng(0).normal(size=(N, 2))
    sampler = GANOverSampler(sampling_strategy=strategy, **FAST)
    with pytest.raises(ValueError, match="sampling_strategy must give whole numbers"):
        sampler.fit_resample(X, Y)
    assert not hasattr(sampler, "generators_")


def test_sizes_that_would_exhaust_memory_are_refused():
    X = np.random.default_rng(0).normal(size=(N, 2))
    with pytest.raises(ValueError, match="latent_dim"):
        GANOverSampler(latent_dim=10**12, **FAST).fit_resample(X, Y)
    with pytest.raises(ValueError, match="width"):
        ReferenceDenoiser(width=10**12).fit(np.zeros((4, 8, 8)), np.zeros((4, 8, 8)),
                                            np.zeros((4, 8, 8)))


def test_quality_report_names_the_widths():
    X = np.random.default_rng(0).normal(size=(N, 3))
    sampler = GANOverSampler(**FAST)
    sampler.fit_resample(X, Y)
    with pytest.raises(ValueError, match="X has 2 features, but this GANOverSampler was "
                                         "fitted on 3"):
        sampler.quality_report(X[:, :2], Y)


def test_saved_sampler_with_missing_values_and_text_samples_the_same(tmp_path):
    import ganbalance

    X, y = _linked_missing()
    X["city"] = X["city"].astype("string")
    sampler = GANOverSampler(**FAST)
    sampler.fit_resample(X, y)
    sampler.save(tmp_path / "sampler.pt")
    loaded = ganbalance.load(tmp_path / "sampler.pt")
    pd.testing.assert_frame_equal(loaded.sample(50, y=1, random_state=3),
                                  sampler.sample(50, y=1, random_state=3))
