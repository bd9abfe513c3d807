"""Save fitted estimators to a file that cannot run code when it is loaded.

:func:`save` writes any ganbalance estimator, fitted or not, with :func:`torch.save`, as a
plain tree of dicts, lists, strings, numbers, booleans, None and tensors; :func:`load` reads it
back with ``torch.load(weights_only=True)``, which refuses every file that would import or call
anything. Everything else is tagged in that tree and rebuilt by this module:

* numpy arrays (their raw bytes in a ``uint8`` tensor and their dtype string; object arrays of
  plain scalars as a list), numpy scalars and dtypes, tuples, and dicts whose keys are not all
  strings (as a list of key-value pairs);
* ganbalance objects, among them estimators nested in others and their scalers, as their class
  name and the state their ``__getstate__`` returns. On load the class must come from a
  ``ganbalance`` module; it is created with ``cls.__new__`` and given its state with
  ``__setstate__`` (or its ``__dict__``), as unpickling does;
* classes given as parameters (``TorchClassifier(module=MLP, optimizer=torch.optim.SGD)``),
  as their names: ganbalance classes, and torch's module and optimizer classes;
* numpy ``RandomState`` and ``Generator`` objects given as ``random_state``, as their state.

Anything else (a user's own module class, a lambda, a callback holding a function) cannot be
written: :func:`save` raises a TypeError naming it. Name such parameters in ``external``: the
file then records only their names, and :func:`load` takes their values as keyword arguments.
Read more in the :doc:`user guide </user_guide/persistence>`.
"""

from __future__ import annotations

import hashlib
import io
import os

import numpy as np
import torch

from ._save_reader import Decoder
from ._save_writer import Encoder, is_ganbalance_object

__all__ = ["FORMAT", "VERSION", "SaveMixin", "load", "save"]

#: The ``format`` entry of every file :func:`save` writes.
FORMAT = "ganbalance"
#: The version of the file layout that :func:`save` writes. Version 2 wraps version 1's
#: payload with its SHA-256 digest, which :func:`load` checks; it still reads version 1.
VERSION = 2
_VERSIONS = (1, 2)


class SaveMixin:
    """Adds :meth:`save`, which writes the estimator with :func:`ganbalance.persistence.save`."""

    def save(self, path, *, external=()):
        """Write this estimator to ``path`` in ganbalance's safe format.

        Read it back with :func:`ganbalance.load`, which runs no code stored in the file.

        Parameters
        ----------
        path : str, os.PathLike or binary file object
            Where to write.
        external : iterable of str, default=()
            Names of parameters that the file cannot hold (a user's own module class, a
            function): the file records only their names, and ``load`` takes their values.

        Returns
        -------
        None
        """
        save(self, path, external=external)


def save(estimator, path, *, external=()) -> None:
    """Write a ganbalance estimator to ``path`` in a format that cannot run code when loaded.

    The whole tree is checked before anything is written, so a value that cannot be stored
    raises and leaves ``path`` untouched.

    Parameters
    ----------
    estimator : object
        An instance of a ganbalance class (every estimator; fitted or not).
    path : str, os.PathLike or binary file object
        Where to write (usually a ``.pt`` file).
    external : iterable of str, default=()
        Names of values the file cannot hold, such as ``'module'`` for
        ``TorchClassifier(module=MyNet)`` with ``MyNet`` the user's own class. Every value
        stored under such a name (an attribute, or a key of a dict of parameters) is replaced
        by a marker, and :func:`load` must be given it: ``load(path, module=MyNet)``.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        When a value cannot be stored, naming where it is; or when ``estimator`` is not a
        ganbalance object.
    ValueError
        When a name in ``external`` occurs nowhere in the estimator.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import ganbalance
    >>> from ganbalance import TorchClassifier
    >>> from ganbalance.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = TorchClassifier(MLP, module__hidden=4, max_epochs=2, device="cpu",
    ...                       random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "clf.pt")
    ...     ganbalance.persistence.save(clf, path)
    ...     loaded = ganbalance.load(path)
    >>> bool(np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)))
    True
    """
    if isinstance(external, str):
        external = (external,)
    encoder = Encoder(external)
    if not is_ganbalance_object(estimator):
        raise TypeError(
            f"save writes ganbalance estimators; got {type(estimator).__module__}."
            f"{type(estimator).__qualname__}. Store other objects with joblib or pickle, and "
            "load those only from files you trust."
        )
    name, state = encoder.encode_object(estimator, type(estimator).__name__)
    missing = sorted(set(encoder.external) - encoder.used_external)
    if missing:
        raise ValueError(f"external names {missing} occur nowhere in this "
                         f"{type(estimator).__name__}.")
    body = io.BytesIO()
    torch.save({"format": FORMAT, "version": 1, "class": name,
                "ganbalance_version": _version(), "state": state}, body)
    data = body.getvalue()
    torch.save({"format": FORMAT, "version": VERSION, "sha256": hashlib.sha256(data).hexdigest(),
                "payload": torch.frombuffer(bytearray(data), dtype=torch.uint8)}, path)


def load(path, **external):
    """Read an estimator written by :func:`save` (or an estimator's ``save`` method).

    The file is read with ``torch.load(weights_only=True)``, which imports and calls nothing
    from the file; the classes it names are looked up only in ganbalance (and, for classes
    given as parameters, among torch's modules and optimizers). A file of any other kind,
    a pickle among them, is refused with a ValueError before anything in it runs.

    Tensors are read onto the CPU. A model trained on a CUDA device that this machine lacks is
    rebuilt on the CPU, with a warning, and its ``device_`` (and that of every estimator around
    it) then reads 'cpu'.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file.
    **external
        The values of the names given as ``external`` to :func:`save`, e.g.
        ``load(path, module=MyNet)``. Each must match one; every one the file names is required.

    Returns
    -------
    estimator : object
        The estimator, as it was saved: a fitted one predicts and samples exactly as the
        original did, and its sampling stream goes on where the original's was.

    Raises
    ------
    ValueError
        When the file is not a ganbalance save file of this version (or may be malicious), or
        when ``external`` values are missing or unknown.

    See Also
    --------
    save : Write such a file.

    Examples
    --------
    >>> import io
    >>> import ganbalance
    >>> buffer = io.BytesIO()
    >>> ganbalance.persistence.save(ganbalance.ConditionalGAN(n_steps=5), buffer)
    >>> _ = buffer.seek(0)
    >>> ganbalance.load(buffer).n_steps
    5
    """
    payload = _read(path, path)
    _check_header(payload, path)
    if payload["version"] == 2:
        payload = _unwrap(payload, path)
    decoder = Decoder(external)
    try:
        estimator = decoder.decode_object(payload["class"], payload["state"], "estimator")
    except ValueError as exc:
        raise ValueError(f"{_describe(path)} cannot be loaded: {exc}") from exc
    except Exception as exc:  # e.g. state dicts that do not fit the modules the state builds
        raise ValueError(f"{_describe(path)} is damaged or does not fit this ganbalance: "
                         f"{type(exc).__name__}: {exc}") from exc
    unused = sorted(set(external) - decoder.used_external)
    if unused:
        raise ValueError(f"load got values for {unused}, which this file does not ask for; it "
                         f"asks for {sorted(decoder.used_external) or 'none'}.")
    return estimator


def _read(source, path):
    """``torch.load`` with ``weights_only=True``; what fails is a ValueError naming the file."""
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as exc:  # OSError included: a truncated file fails in the zip reader
        raise ValueError(
            f"{_describe(path)} is not a ganbalance save file, or it is truncated or damaged, "
            f"or it may be malicious: loading it safely failed ({type(exc).__name__}). If it "
            "is a pickle you trust, unpickle it yourself; never unpickle files from untrusted "
            "sources."
        ) from exc


def _unwrap(wrapper, path):
    """The version-1 payload inside a version-2 file, once its digest matches."""
    data = wrapper.get("payload")
    if not (isinstance(data, torch.Tensor) and data.dtype == torch.uint8 and data.dim() == 1
            and isinstance(wrapper.get("sha256"), str)):
        raise ValueError(f"{_describe(path)} is a damaged ganbalance save file.")
    raw = np.asarray(data.numpy()).tobytes()
    if hashlib.sha256(raw).hexdigest() != wrapper["sha256"]:
        raise ValueError(f"{_describe(path)} is damaged: its contents do not match the digest "
                         "recorded when it was saved (a flipped byte, a partial copy).")
    payload = _read(io.BytesIO(raw), path)
    _check_header(payload, path)
    if payload["version"] != 1:
        raise ValueError(f"{_describe(path)} is a damaged ganbalance save file.")
    return payload


def _version() -> str:
    """This ganbalance's version, which every file records."""
    from ._version import __version__

    return __version__


def _describe(path) -> str:
    """How error messages name the file: its path, or 'The file' for a file object."""
    return repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else "The file"


def _check_header(payload, path) -> None:
    """Raise a ValueError unless ``payload`` is a ganbalance save file of this version."""
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise ValueError(f"{_describe(path)} is not a ganbalance save file (no "
                         f"format={FORMAT!r} entry).")
    version = payload.get("version")
    if type(version) is not int or version not in _VERSIONS:
        raise ValueError(
            f"{_describe(path)} is a ganbalance save file of version {version!r}, but this "
            f"ganbalance (version {_version()}) reads versions {_VERSIONS[0]} to {VERSION}."
        )
    if version == 2:
        return
    if not isinstance(payload.get("class"), str) or not isinstance(payload.get("state"), dict):
        raise ValueError(f"{_describe(path)} is a damaged ganbalance save file.")

