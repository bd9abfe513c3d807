"""ganbalance.dask: over-sampling a Dask DataFrame, reproducibly, with any number of workers.

Without dask installed, every test that needs it is skipped (``pytest.importorskip``); the
in-memory chunk functions, which Spark users call too, are tested either way. Unit tests run
Dask's synchronous or threaded scheduler; one test starts a two-process ``LocalCluster``
(skipped without ``distributed``), and one runs ``benchmarks/scale.py --quick``.
"""

import doctest
import logging
import os
import pickle
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.utils import check_sampling_strategy

import ganbalance.dask as gd
from ganbalance import GANOverSampler

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parent.parent
FAST = dict(n_steps=8, batch_size=16, device="cpu")
COUNTS = {"no": 300, "yes": 60, "maybe": 12}


def make_table(counts=COUNTS, seed=0):
    """A mixed table (float, int, category with an unused category, bool, object strings)
    and its labels, classes interleaved."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(n, label, dtype=object) for label, n in counts.items()])
    y = y[rng.permutation(len(y))]
    n = len(y)
    X = pd.DataFrame({
        "amount": rng.gamma(2.0, 50.0, n),
        "visits": rng.integers(0, 20, n),
        "kind": pd.Categorical(rng.choice(["card", "cash"], n),
                               categories=["card", "cash", "wire"]),
        "member": rng.random(n) < 0.4,
        "city": rng.choice(["Oslo", "Rome", "Lima"], n).astype(object),
    })
    return X, pd.Series(y, name="label")


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    """Unit tests run Dask's synchronous scheduler, unless a test names another."""
    try:
        import dask
    except ModuleNotFoundError:
        yield
        return
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture
def dd():
    return pytest.importorskip("dask.dataframe")


@pytest.fixture
def dask():
    return pytest.importorskip("dask")


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def fitted(table):
    """A GANOverSampler fitted in memory on the table."""
    X, y = table
    sampler = GANOverSampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    return sampler


def as_dask(dd, X, y, npartitions):
    frame = X.assign(label=y.to_numpy())
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    return ddf.drop(columns="label"), ddf["label"]


def split_unevenly(dd, X, y, cuts):
    """X and y cut into partitions at the row positions ``cuts`` (uneven sizes)."""
    bounds = list(zip([0, *cuts], [*cuts, len(X)], strict=True))
    return (dd.concat([dd.from_pandas(X.iloc[a:b], npartitions=1, sort=False) for a, b in bounds]),
            dd.concat([dd.from_pandas(y.iloc[a:b], npartitions=1, sort=False) for a, b in bounds]))


def new_rows(X_res, n_original):
    """The generated rows of a computed ``X_res``, with a fresh RangeIndex."""
    return X_res.iloc[n_original:].reset_index(drop=True)


def in_memory(sampler, targets, chunk_size, seed):
    chunks = list(gd.sample_chunks(sampler, targets, chunk_size=chunk_size, random_state=seed))
    return (pd.concat([X for X, _ in chunks], ignore_index=True),
            np.concatenate([labels for _, labels in chunks]))


# ---------------------------------------------------------------------- sampling targets
STRATEGIES = ["auto", "minority", "not minority", "not majority", "all",
              {"yes": 100, "maybe": 300}, {"maybe": 12},
              lambda y: {"maybe": 50}]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sampling_targets_match_imbalanced_learn(table, strategy):
    _, y = table
    expected = check_sampling_strategy(strategy, y.to_numpy(), "over-sampling")
    got = gd.sampling_targets(strategy, dict(Counter(y)), y)
    assert list(got.items()) == [(k, int(v)) for k, v in expected.items()]


@pytest.mark.parametrize("ratio", [0.5, 1.0, 0.3])
def test_sampling_targets_float_matches_imbalanced_learn(ratio):
    y = np.array([0] * 100 + [1] * 7)
    expected = check_sampling_strategy(ratio, y, "over-sampling")
    assert dict(gd.sampling_targets(ratio, {0: 100, 1: 7})) == dict(expected)


def test_sampling_targets_ties_pick_the_first_class_like_imbalanced_learn():
    y = np.array(["b"] * 5 + ["a"] * 5 + ["c"] * 2)
    for strategy in ("auto", "minority", "not minority"):
        expected = check_sampling_strategy(strategy, y, "over-sampling")
        assert gd.sampling_targets(strategy, {"b": 5, "a": 5, "c": 2}) == expected


@pytest.mark.parametrize("strategy, error, match", [
    ("majority", ValueError, "majority"),
    ("most", ValueError, "sampling_strategy must be one of"),
    ({"yes": 10}, ValueError, r"sampling_strategy\['yes'\] = 10 is less than"),
    ({"never": 10}, ValueError, "classes that y does not have"),
    ({"yes": 70.5}, TypeError, r"sampling_strategy\['yes'\] must be an int"),
    (0.5, ValueError, "two classes"),
    ([1, 2], TypeError, "sampling_strategy must be"),
    (lambda y: "auto", TypeError, "must return a dict"),
])
def test_sampling_targets_refuse_bad_strategies(strategy, error, match):
    with pytest.raises(error, match=match):
        gd.sampling_targets(strategy, COUNTS, y=object())


def test_sampling_targets_refuse_bad_counts():
    with pytest.raises(ValueError, match="more than 1 class"):
        gd.sampling_targets("auto", {"a": 10})
    with pytest.raises(ValueError, match=r"counts\['a'\] must be >= 0"):
        gd.sampling_targets("auto", {"a": -1, "b": 3})
    with pytest.raises(TypeError, match="counts must be"):
        gd.sampling_targets("auto", [3, 4])
    with pytest.raises(TypeError, match="pass y"):
        gd.sampling_targets(lambda y: {}, COUNTS)
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        gd.sampling_targets(1.5, {0: 10, 1: 2})
    with pytest.raises(ValueError, match="fewer minority rows"):
        gd.sampling_targets(0.1, {0: 10, 1: 2})


# ---------------------------------------------------------------------- in-memory chunks
def test_chunks_are_split_class_after_class():
    assert gd.n_chunks({"a": 250, "b": 0, "c": 100}, chunk_size=100) == 4
    assert gd.n_chunks({}, chunk_size=10) == 0
    assert gd._chunk_plan({"a": 250, "c": 100}, 100) == [
        ("a", 0, 100), ("a", 100, 100), ("a", 200, 50), ("c", 250, 100)]


def test_sample_chunk_is_one_of_sample_chunks(fitted):
    targets = {"maybe": 230, "yes": 40}
    chunks = list(gd.sample_chunks(fitted, targets, chunk_size=100, random_state=5))
    assert [len(X) for X, _ in chunks] == [100, 100, 30, 40]
    assert [set(labels) for _, labels in chunks] == [{"maybe"}] * 3 + [{"yes"}]
    for k in (3, 0, 2):  # any order, any process: chunk k only depends on the seed and k
        X_k, y_k = gd.sample_chunk(fitted, targets, k, chunk_size=100, random_state=5)
        pd.testing.assert_frame_equal(X_k, chunks[k][0])
        np.testing.assert_array_equal(y_k, chunks[k][1])
    assert not chunks[0][0].equals(chunks[1][0])  # two chunks of a class: different streams
    other = list(gd.sample_chunks(fitted, targets, chunk_size=100, random_state=6))
    assert not other[0][0].equals(chunks[0][0])
    assert chunks[0][0].dtypes.equals(fitted.sample(1, y="maybe").dtypes)


def test_chunk_seed_uses_seed_sequence_spawn_keys():
    expected = np.random.SeedSequence(11, spawn_key=(4,)).generate_state(1)[0]
    assert gd.chunk_seed(11, 4) == int(expected)
    assert len({gd.chunk_seed(11, k) for k in range(100)}) == 100


def test_sample_chunk_refuses_bad_input(fitted):
    with pytest.raises(TypeError, match="random_state must be an int"):
        gd.sample_chunk(fitted, {"yes": 10}, 0, random_state=None)
    with pytest.raises(ValueError, match="chunk must be less than the 1 chunks"):
        gd.sample_chunk(fitted, {"yes": 10}, 1, random_state=0)
    with pytest.raises(ValueError, match="chunk must be >= 0"):
        gd.sample_chunk(fitted, {"yes": 10}, -1, random_state=0)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        gd.sample_chunk(fitted, {"yes": 10}, 0, chunk_size=0, random_state=0)
    with pytest.raises(ValueError, match=r"counts\['yes'\] must be >= 0"):
        gd.sample_chunks(fitted, {"yes": -3})
    with pytest.raises(TypeError, match="counts must be a dict"):
        gd.sample_chunks(fitted, [("yes", 3)])


def test_torch_threads_limits_and_restores():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with gd.torch_threads(1):
            assert torch.get_num_threads() == 1
            with gd.torch_threads(1):
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1  # the inner block does not restore early
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), gd.torch_threads(1):
            raise RuntimeError("a failed task restores the count too")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_fit_on_sample_trains_every_class_that_needs_rows_in_per_class_mode(table):
    X, y = table
    estimator = GANOverSampler(mode="per_class", random_state=0, **FAST)
    # The sample is balanced (as a capped sample of big classes is); the full data is not.
    keep = np.concatenate([np.flatnonzero(y == c)[:12] for c in COUNTS])
    sampler = gd.fit_on_sample(estimator, X.iloc[keep], y.iloc[keep],
                               {"maybe": 288, "no": 0, "yes": 240})
    assert set(sampler.generators_) == {"maybe", "yes"}
    assert estimator.sampling_strategy == "auto"  # the estimator itself is not modified
    assert not hasattr(estimator, "generators_")
    with pytest.raises(ValueError, match=r"no row of classes \['yes'\]"):
        gd.fit_on_sample(estimator, X.iloc[keep[:12]], y.iloc[keep[:12]], {"yes": 5})
    with pytest.raises(TypeError, match="estimator must be an over-sampler"):
        gd.fit_on_sample(object(), X, y, {"yes": 5})


def test_fit_on_sample_seeds_an_unseeded_estimator_only(table):
    X, y = table
    a = gd.fit_on_sample(GANOverSampler(**FAST), X, y, {"maybe": 20}, random_state=3)
    b = gd.fit_on_sample(GANOverSampler(**FAST), X, y, {"maybe": 20}, random_state=3)
    pd.testing.assert_frame_equal(a.sample(20, y="maybe", random_state=0),
                                  b.sample(20, y="maybe", random_state=0))
    own = gd.fit_on_sample(GANOverSampler(random_state=9, **FAST), X, y, {"maybe": 20},
                           random_state=3)
    assert own.random_state == 9


def test_importing_ganbalance_does_not_import_dask():
    code = ("import sys, ganbalance, ganbalance.dask; "
            "assert 'dask' not in sys.modules and 'distributed' not in sys.modules; print('ok')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_dask_functions_say_how_to_install_dask(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)  # as if dask were not installed
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    for call in (lambda: gd.count_classes(None), lambda: gd.sample_partitions(None, {1: 3}),
                 lambda: gd.ParallelOverSampler().fit_resample(None, None)):
        with pytest.raises(ImportError, match=r'pip install "ganbalance\[dask\]"'):
            call()


# ---------------------------------------------------------------------- counts and the sample
def test_count_classes_counts_each_partition(dd, table):
    X, y = table
    _, dy = as_dask(dd, X, y, 4)
    counts = gd.count_classes(dy)
    assert list(counts.columns) == sorted(COUNTS)
    assert counts.shape == (4, 3) and counts.dtypes.eq(np.int64).all()
    for p in range(4):
        part = dy.partitions[p].compute().value_counts()
        assert counts.iloc[p].to_dict() == {c: int(part.get(c, 0)) for c in sorted(COUNTS)}
    assert counts.sum().to_dict() == COUNTS


def test_count_classes_of_a_categorical_leaves_out_unused_categories(dd):
    y = pd.Series(pd.Categorical(["a", "b", "a"], categories=["a", "b", "z"]))
    counts = gd.count_classes(dd.from_pandas(y, npartitions=2))
    assert list(counts.columns) == ["a", "b"]


def test_count_classes_refuses_missing_labels(dd):
    y = dd.from_pandas(pd.Series([1.0, np.nan, 0.0]), npartitions=1)
    with pytest.raises(ValueError, match="missing labels"):
        gd.count_classes(y)


def test_stratified_sample_takes_a_capped_fraction_of_each_class(dd, table):
    X, y = table
    dX, dy = as_dask(dd, X, y, 3)
    X_s, y_s = gd.stratified_sample(dX, dy, fraction=0.5, max_per_class=40, random_state=0)
    assert Counter(y_s) == {"no": 40, "yes": 30, "maybe": 6}
    X_full, y_full = dX.compute(), dy.compute()
    pd.testing.assert_frame_equal(X_s, X_full.loc[X_s.index])  # real rows, with their labels
    pd.testing.assert_series_equal(y_s, y_full.loc[y_s.index])
    assert X_s.index.is_monotonic_increasing
    X_all, _ = gd.stratified_sample(dX, dy, max_per_class=None, random_state=0)
    pd.testing.assert_frame_equal(X_all, X_full)


def test_stratified_sample_is_the_same_for_any_partitioning(dd, table):
    X, y = table
    samples = []
    for npartitions in (1, 4, 9):
        dX, dy = as_dask(dd, X, y, npartitions)
        samples.append(gd.stratified_sample(dX, dy, max_per_class=25, random_state=1))
    dX, dy = split_unevenly(dd, X, y, [3, 4, 200, 371])  # tiny and empty-ish partitions
    samples.append(gd.stratified_sample(dX, dy, max_per_class=25, random_state=1))
    for X_s, y_s in samples[1:]:
        pd.testing.assert_frame_equal(X_s, samples[0][0])
        pd.testing.assert_series_equal(y_s, samples[0][1])
    other, _ = gd.stratified_sample(dX, dy, max_per_class=25, random_state=2)
    assert not other.index.equals(samples[0][0].index)


# ---------------------------------------------------------------------- the Dask output
@pytest.fixture(scope="module")
def resampled():
    """fit_resample on 5 partitions (synchronous scheduler), computed, with its sampler."""
    dd = pytest.importorskip("dask.dataframe")
    import dask

    X, y = make_table()
    dX, dy = as_dask(dd, X, y, 5)
    sampler = gd.ParallelOverSampler(GANOverSampler(**FAST), chunk_size=70, random_state=0)
    with dask.config.set(scheduler="synchronous"):
        X_res, y_res = sampler.fit_resample(dX, dy)
        computed = X_res.compute(), y_res.compute()
    return sampler, dX, dy, X_res, y_res, computed


def test_fit_resample_balances_the_full_counts(resampled, table):
    sampler, dX, dy, X_res, y_res, (X_c, y_c) = resampled
    X, y = table
    assert sampler.class_counts_ == dict(sorted(COUNTS.items()))
    assert sampler.sampling_strategy_ == {"maybe": 288, "yes": 240}
    assert sampler.sample_counts_ == dict(sorted(COUNTS.items()))  # all under the cap
    assert Counter(y_c) == {"no": 300, "yes": 300, "maybe": 300}
    pd.testing.assert_frame_equal(X_c.iloc[:len(X)], dX.compute())  # originals first, unchanged
    pd.testing.assert_series_equal(y_c.iloc[:len(X)], dy.compute())
    np.testing.assert_array_equal(X_c.index, np.arange(900))  # new rows numbered on
    assert X_res.npartitions == 5 + 5 + 4  # 288 and 240 new rows in chunks of 70
    assert list(sampler.feature_names_in_) == list(X.columns)
    assert sampler.n_features_in_ == 5


def test_new_rows_equal_in_memory_chunks_in_order(resampled, table):
    sampler, *_, (X_c, y_c) = resampled
    X_mem, y_mem = in_memory(sampler.estimator_, sampler.sampling_strategy_, 70, 0)
    pd.testing.assert_frame_equal(new_rows(X_c, 372), X_mem)
    np.testing.assert_array_equal(y_c.iloc[372:].to_numpy(), y_mem)


def test_types_kept_categories_included(resampled, table):
    sampler, dX, dy, X_res, y_res, (X_c, y_c) = resampled
    pd.testing.assert_frame_equal(X_res._meta, dX._meta)
    assert X_res.dtypes.equals(dX.dtypes)
    assert X_c.dtypes.equals(dX.dtypes)  # computed partitions, not only the meta
    assert list(X_c["kind"].cat.categories) == ["card", "cash", "wire"]
    assert set(X_c["city"].iloc[372:]) <= {"Oslo", "Rome", "Lima"}
    assert y_res.dtype == dy.dtype and y_c.name == "label"


@pytest.mark.parametrize("convert_string", [False, True])
def test_object_and_arrow_string_columns_keep_their_dtype(dd, dask, table, convert_string):
    X, y = table
    X = X.assign(city=X["city"].astype(object))  # object text (pandas 3 reads text as 'str')
    with dask.config.set({"dataframe.convert-string": convert_string}):
        dX, dy = as_dask(dd, X, y, 2)
        assert (dX.dtypes["city"] == np.dtype(object)) is not convert_string
        X_res, y_res = gd.ParallelOverSampler(GANOverSampler(**FAST), chunk_size=100,
                                              random_state=0).fit_resample(dX, dy)
        X_c, y_c = dask.compute(X_res, y_res, scheduler="synchronous")
    assert X_c.dtypes.equals(dX.dtypes) and y_c.dtype == dy.dtype


def test_same_rows_for_any_partitioning_scheduler_and_retry(resampled, dd, dask, table):
    sampler, _, _, X_ref, _, (X_c, _) = resampled
    X, y = table
    dX, dy = split_unevenly(dd, X, y, [1, 50, 51, 300])
    X_res, _ = gd.ParallelOverSampler(GANOverSampler(**FAST), chunk_size=70,
                                      random_state=0).fit_resample(dX, dy)
    threaded = X_res.compute(scheduler="threads", num_workers=4)
    pd.testing.assert_frame_equal(new_rows(threaded, 372), new_rows(X_c, 372))
    # A retried task recomputes its partition alone, in another process or thread:
    for k in (3, 7):
        alone = X_ref.partitions[5 + k].compute(scheduler="synchronous")
        assert len(alone) > 0
        pd.testing.assert_frame_equal(alone, X_c.loc[alone.index])


def test_pieces_compose_to_fit_resample(resampled, dd, table):
    sampler, dX, dy, *_, (X_c, _) = resampled
    estimator = GANOverSampler(**FAST)
    counts = gd.count_classes(dy)
    targets = gd.sampling_targets(estimator.sampling_strategy, counts)
    X_s, y_s = gd.stratified_sample(dX, dy, counts=counts, random_state=0)
    fitted = gd.fit_on_sample(estimator, X_s, y_s, targets, random_state=0)
    X_new, y_new = gd.sample_partitions(fitted, targets, meta=dX._meta, y_meta=dy._meta,
                                        chunk_size=70, random_state=0, start=372)
    X_res = dd.concat([dX, X_new]).compute(scheduler="synchronous")
    pd.testing.assert_frame_equal(X_res, X_c)


def test_sampler_is_in_the_graph_once(fitted):
    pytest.importorskip("dask.dataframe")
    import cloudpickle

    X_new, _ = gd.sample_partitions(fitted, {"maybe": 3000}, chunk_size=100, random_state=0)
    assert X_new.npartitions == 30
    graph = cloudpickle.dumps(dict(X_new.__dask_graph__()))
    size = len(pickle.dumps(fitted))
    assert size < len(graph) < size + 100_000, (len(graph), size)  # not 30 copies


class ThreadReporter:
    """A stand-in sampler whose rows hold the torch thread count they were generated with."""

    n_features_in_ = 1

    def sample(self, n_samples, y, random_state):
        return pd.DataFrame({"threads": np.full(n_samples, torch.get_num_threads())})


def test_each_task_runs_on_one_torch_thread(dask):
    torch.set_num_threads(2)
    try:
        X_new, _ = gd.sample_partitions(ThreadReporter(), {0: 30}, chunk_size=10,
                                        random_state=0,
                                        meta=pd.DataFrame({"threads": np.zeros(0, int)}))
        for scheduler in ("synchronous", "threads"):
            threads = X_new.compute(scheduler=scheduler)["threads"]
            assert len(threads) == 30 and set(threads) == {1}
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_sample_partitions_without_meta_and_without_rows(fitted, dask):
    X_new, y_new = gd.sample_partitions(fitted, {"yes": 25}, chunk_size=10, random_state=0)
    X_c, y_c = dask.compute(X_new, y_new, scheduler="synchronous")
    expected = fitted.sample(1, y="yes").dtypes  # as Dask holds them: str may become arrow
    assert list(X_c.columns) == list(expected.index)
    assert X_c.dtypes.equals(X_new.dtypes)
    assert X_c.dtypes.drop("city").equals(expected.drop("city"))
    assert list(X_c.index) == list(range(25)) and set(y_c) == {"yes"}
    assert X_new.divisions == (0, 10, 20, 24)
    empty, labels = gd.sample_partitions(fitted, {"yes": 0}, meta=X_c.iloc[:0])
    assert len(empty.compute()) == 0 and len(labels.compute()) == 0
    with pytest.raises(ValueError, match="meta is needed"):
        gd.sample_partitions(fitted, {})
    with pytest.raises(ValueError, match="meta's columns"):
        gd.sample_partitions(fitted, {"yes": 5}, meta=X_c.iloc[:0, ::-1])
    with pytest.raises(TypeError, match="meta must be an empty pandas DataFrame"):
        gd.sample_partitions(fitted, {"yes": 5}, meta=X_c.to_numpy())


def test_no_global_random_state_and_no_mutation(dd, table):
    X, y = table
    X_before, y_before = X.copy(), y.copy()
    dX, dy = as_dask(dd, X, y, 3)
    np.random.seed(123)
    torch.manual_seed(123)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    X_res, _ = gd.ParallelOverSampler(GANOverSampler(**FAST), chunk_size=100,
                                      random_state=0).fit_resample(dX, dy)
    X_res.compute(scheduler="synchronous")
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)


def test_per_class_mode_with_a_capped_sample(dd, table):
    X, y = table
    dX, dy = as_dask(dd, X, y, 3)
    sampler = gd.ParallelOverSampler(GANOverSampler(mode="per_class", **FAST),
                                     max_per_class=12, chunk_size=500, random_state=0)
    X_res, y_res = sampler.fit_resample(dX, dy)
    assert sampler.sample_counts_ == {"maybe": 12, "no": 12, "yes": 12}
    assert set(sampler.estimator_.generators_) == {"maybe", "yes"}
    assert Counter(y_res.compute(scheduler="synchronous")) == {c: 300 for c in COUNTS}


# ---------------------------------------------------------------------- bad input
class NotTrained(GANOverSampler):
    def fit_resample(self, X, y):  # pragma: no cover - must never run
        raise AssertionError("trained despite bad input")


@pytest.mark.parametrize("params, error, match", [
    (dict(fraction=0.0), ValueError, "fraction must be > 0.0"),
    (dict(fraction=1.5), ValueError, "fraction must be <= 1.0"),
    (dict(max_per_class=0), ValueError, "max_per_class must be >= 1"),
    (dict(chunk_size=2.5), TypeError, "chunk_size must be an int"),
    (dict(random_state="seed"), TypeError, "random_state must be"),
    (dict(estimator=object()), TypeError, "estimator must be an over-sampler"),
    (dict(estimator=NotTrained(sampling_strategy={"yes": 3})), ValueError,
     r"sampling_strategy\['yes'\] = 3 is less than"),
])
def test_bad_parameters_are_refused_before_training(dd, table, params, error, match):
    X, y = table
    dX, dy = as_dask(dd, X, y, 2)
    params.setdefault("estimator", NotTrained())
    sampler = gd.ParallelOverSampler(**params)
    with pytest.raises(error, match=match):
        sampler.fit_resample(dX, dy)
    assert not hasattr(sampler, "estimator_")


def test_bad_data_is_refused_before_training(dd, table):
    X, y = table
    dX, dy = as_dask(dd, X, y, 2)
    sampler = gd.ParallelOverSampler(NotTrained())
    with pytest.raises(TypeError, match="X must be a Dask DataFrame; got DataFrame"):
        sampler.fit_resample(X, dy)
    with pytest.raises(TypeError, match="y must be a Dask Series; got DataFrame"):
        sampler.fit_resample(dX, dX)
    with pytest.raises(ValueError, match="X and y must have the same partitions; got 2 and 3"):
        sampler.fit_resample(dX, dy.repartition(npartitions=3))
    with pytest.raises(ValueError, match="X and y must have the same rows in every partition"):
        sampler.fit_resample(dX, dd.from_pandas(pd.concat([y, y]), npartitions=2,
                                                sort=False).clear_divisions())
    unknown = dX.assign(kind=dX["kind"].cat.as_unknown())
    with pytest.raises(ValueError, match="X column 'kind' is categorical with unknown"):
        sampler.fit_resample(unknown, dy)


# ---------------------------------------------------------------------- docstring examples
def test_docstring_examples_that_need_dask_run(dd, capsys):
    """The examples marked ``+SKIP`` (they need dask) run here, with dask, unskipped."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    ran = 0
    for test in finder.find(gd, "ganbalance.dask", globs={}):
        if not any(ex.options.get(doctest.SKIP) for ex in test.examples):
            continue
        for example in test.examples:
            example.options.pop(doctest.SKIP, None)
        runner.run(test)
        ran += 1
    assert ran >= 4
    assert runner.failures == 0, capsys.readouterr().out


# ---------------------------------------------------------------------- processes
def test_two_worker_processes_give_the_synchronous_rows(resampled):
    distributed = pytest.importorskip("distributed")
    sampler, *_, (X_c, _) = resampled
    X_new, _ = gd.sample_partitions(sampler.estimator_, sampler.sampling_strategy_,
                                    meta=X_c.iloc[:0], chunk_size=70, random_state=0,
                                    start=372)
    started = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
    with cluster, distributed.Client(cluster) as client:
        futures = client.compute(X_new.to_delayed())
        parts = client.gather(futures)
        workers = {next(iter(w)) for w in client.who_has(futures).values()}
    assert len(workers) == 2  # both processes generated chunks
    pd.testing.assert_frame_equal(pd.concat(parts), X_c.iloc[372:])
    assert time.perf_counter() - started < 60


def test_scale_benchmark_quick_runs(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--quick",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=120,
                         env=env, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    result = (tmp_path / "scale.json").read_text()
    assert '"quick": true' in result
    assert (tmp_path / "scale.md").read_text().startswith("**Quick run")
    assert '"identical_rows": true' in result


@pytest.mark.spark
def test_spark_recipe_matches_sample_chunks(monkeypatch):
    """The user guide's Spark block, as written, in local mode: mapInPandas over
    spark.range(n_chunks) gives the rows of sample_chunks, sorted by chunk then position.
    Skipped without pyspark or a Java runtime (CI installs neither)."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("pyspark needs a Java runtime: no java on PATH")
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    section = (ROOT / "docs" / "user_guide" / "dask.md").read_text().split("\n## Spark\n")[1]
    code = section.split("```python\n")[1].split("```")[0]
    spark = (SparkSession.builder.master("local[1]").appName("ganbalance-test")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "1").getOrCreate())
    try:
        namespace = {}
        exec(compile(code, "docs/user_guide/dask.md", "exec"), namespace)  # noqa: S102
        assert namespace["spark"] is spark  # the block's getOrCreate found the local session
        new_rows, balanced = namespace["new_rows"], namespace["balanced"]
        got = (new_rows.toPandas().sort_values(["chunk", "position"])
               .drop(columns=["chunk", "position"]).reset_index(drop=True))
        n_balanced = balanced.count()
    finally:
        spark.stop()

    targets, X = namespace["targets"], namespace["X"]
    assert dict(targets) == {0: 145}
    chunks = gd.sample_chunks(namespace["fitted_sampler"], targets,
                              chunk_size=namespace["chunk_size"], random_state=namespace["seed"])
    expected = pd.concat([rows.assign(target=labels) for rows, labels in chunks],
                         ignore_index=True)
    assert len(expected) == 145 and gd.n_chunks(targets, namespace["chunk_size"]) == 3
    assert list(got.columns) == list(X.columns) + ["target"]
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert n_balanced == len(X) + 145
