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

import importlib
import os
import re

import numpy as np
import torch

from ._device import load_device

__all__ = ["FORMAT", "VERSION", "SaveMixin", "load", "save"]

#: The ``format`` entry of every file :func:`save` writes.
FORMAT = "ganbalance"
#: The version of the file layout; :func:`load` refuses any other.
VERSION = 1

_PLAIN = (type(None), bool, int, float, str)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
# Raw-byte numpy dtypes: bool, integers, floats, complex, timedeltas, datetimes, strings.
_BYTE_KINDS = "biufcmMUS"


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
    encoder = _Encoder(external)
    if not _is_ganbalance_object(estimator):
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
    torch.save({"format": FORMAT, "version": VERSION, "class": name,
                "ganbalance_version": _version(), "state": state}, path)


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
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as exc:
        raise ValueError(
            f"{_describe(path)} is not a ganbalance save file, or it may be malicious: loading "
            f"it safely failed ({type(exc).__name__}). If it is a pickle you trust, unpickle it "
            "yourself; never unpickle files from untrusted sources."
        ) from exc
    _check_header(payload, path)
    decoder = _Decoder(external)
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


# ---------------------------------------------------------------------- encoding


class _Encoder:
    """Turns an object into the safe tree; ``memo`` keeps shared objects shared."""

    def __init__(self, external):
        self.external = frozenset(external)
        for name in self.external:
            if not isinstance(name, str):
                raise TypeError(f"external must hold parameter names (str); got {name!r}.")
        self.used_external = set()
        self.memo = {}  # id -> (index, object); the object is kept alive while encoding

    def _remember(self, value):
        """The index of ``value`` if it was seen before; else None, and it is numbered."""
        seen = self.memo.get(id(value))
        if seen is not None:
            return seen[0]
        self.memo[id(value)] = (len(self.memo), value)
        return None

    def encode(self, value, path):
        if type(value) in _PLAIN:
            return value
        if isinstance(value, np.generic):
            return {"__npscalar__": _array_dtype(np.asarray(value), path),
                    "data": _array_bytes(np.asarray(value))}
        if isinstance(value, torch.Tensor):
            return value.detach().cpu()
        if isinstance(value, type):
            return {"__class__": _class_name(value, path)}
        if isinstance(value, np.dtype):
            return {"__dtype__": _dtype_str(value, path)}
        if type(value) is tuple:
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, (torch.nn.Module, torch.optim.Optimizer)):
            raise TypeError(_cannot_store(value, path))
        if not isinstance(value, (dict, list, np.ndarray, np.random.RandomState,
                                  np.random.Generator)) and not _is_ganbalance_object(value):
            raise TypeError(_cannot_store(value, path))
        index = self._remember(value)
        if index is not None:
            return {"__ref__": index}
        if isinstance(value, dict):
            return self._encode_dict(value, path)
        if isinstance(value, list):
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, np.ndarray):
            return self._encode_array(value, path)
        if isinstance(value, np.random.RandomState):
            return {"__rng__": "RandomState", "state": self.encode(value.get_state(legacy=False),
                                                                   f"{path}.state")}
        if isinstance(value, np.random.Generator):
            return {"__rng__": "Generator",
                    "state": self.encode(value.bit_generator.state, f"{path}.state")}
        name, state = self._encode_state(value, path)
        return {"__object__": name, "state": state}

    def encode_object(self, value, path):
        """(class name, encoded state) of a ganbalance object, numbered as the root."""
        self._remember(value)
        return self._encode_state(value, path)

    def _encode_state(self, value, path):
        cls = type(value)
        getstate = getattr(value, "__getstate__", None)
        state = getstate() if getstate is not None else vars(value)
        state = {} if state is None else state
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise TypeError(f"{path} ({cls.__qualname__}) has a state that is not a dict of "
                            "attributes, which a ganbalance save file cannot hold.")
        return _class_name(cls, path), self.encode(state, path)

    def _encode_dict(self, value, path):
        plain = all(type(k) is str and not k.startswith("__") for k in value)
        items = []
        for key, item in value.items():
            where = f"{path}.{key}" if type(key) is str else f"{path}[{key!r}]"
            if type(key) is str and key in self.external:
                self.used_external.add(key)
                encoded = {"__external__": key}
            else:
                encoded = self.encode(item, where)
            items.append((key, encoded))
        if plain:
            return dict(items)
        return {"__dict__": [[self._encode_key(k, path), v] for k, v in items]}

    def _encode_key(self, key, path):
        if type(key) in _PLAIN or isinstance(key, np.generic):
            return self.encode(key, path)
        if type(key) is tuple:
            return {"__tuple__": [self._encode_key(k, path) for k in key]}
        raise TypeError(f"{path} has a key {key!r} of type {type(key).__name__}, which a "
                        "ganbalance save file cannot hold.")

    def _encode_array(self, value, path):
        if type(value) is not np.ndarray:
            raise TypeError(_cannot_store(value, path))
        shape = list(value.shape)
        if value.dtype.kind == "O":
            items = []
            for i, item in enumerate(value.ravel(order="C").tolist()):
                if not (type(item) in _PLAIN or isinstance(item, np.generic)):
                    raise TypeError(_cannot_store(item, f"{path}.flat[{i}]"))
                items.append(self.encode(item, path))
            return {"__ndarray__": "|O", "shape": shape, "items": items}
        return {"__ndarray__": _array_dtype(value, path), "shape": shape,
                "data": _array_bytes(value)}


def _array_dtype(value, path):
    if value.dtype.kind not in _BYTE_KINDS or value.dtype.fields is not None:
        raise TypeError(f"{path} is an array of dtype {value.dtype}, which a ganbalance save "
                        "file cannot hold.")
    return value.dtype.str


def _array_bytes(value):
    flat = np.ascontiguousarray(value).reshape(-1)
    return torch.from_numpy(flat.view(np.uint8).copy())


def _dtype_str(dtype, path):
    if dtype.fields is not None or dtype.kind not in _BYTE_KINDS + "O":
        raise TypeError(f"{path} is the dtype {dtype}, which a ganbalance save file cannot "
                        "hold.")
    return dtype.str


def _is_ganbalance_object(value) -> bool:
    module = type(value).__module__ or ""
    return (module == "ganbalance" or module.startswith("ganbalance.")) \
        and not isinstance(value, type)


def _class_name(cls, path) -> str:
    """``module.qualname`` of a class a save file may name; TypeError for any other."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        resolved = _resolve_class(name)
    except ValueError:
        resolved = None
    if resolved is not cls:
        raise TypeError(_cannot_store(cls, path))
    return name


def _root_of(module_name: str) -> str:
    return module_name.split(".", 1)[0]


def _cannot_store(value, path) -> str:
    if isinstance(value, type):
        what = f"the class {value.__module__}.{value.__qualname__}"
    elif isinstance(value, (torch.nn.Module, torch.optim.Optimizer)):
        what = f"a {type(value).__qualname__} instance (pass the class instead, if you can)"
    elif callable(value) and hasattr(value, "__qualname__"):
        what = f"the function {value.__module__}.{value.__qualname__}"
    else:
        what = f"a {type(value).__module__}.{type(value).__qualname__} object"
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    return (
        f"{path} is {what}, which a ganbalance save file cannot hold: it holds plain data, "
        "numpy arrays, tensors, ganbalance objects and, as parameters, ganbalance classes and "
        f"torch's module and optimizer classes. Save with external=[{name!r}] and pass the "
        f"value to load, load(path, {name}=...); or pickle the estimator, and unpickle only "
        "files you trust."
    )


def _version() -> str:
    from ._version import __version__

    return __version__


# ---------------------------------------------------------------------- decoding


def _describe(path) -> str:
    return repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else "The file"


def _check_header(payload, path) -> None:
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise ValueError(f"{_describe(path)} is not a ganbalance save file (no "
                         f"format={FORMAT!r} entry).")
    version = payload.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(
            f"{_describe(path)} is a ganbalance save file of version {version!r}, but this "
            f"ganbalance (version {_version()}) reads version {VERSION}."
        )
    if not isinstance(payload.get("class"), str) or not isinstance(payload.get("state"), dict):
        raise ValueError(f"{_describe(path)} is a damaged ganbalance save file.")


def _resolve_class(name, allowed_root: str | None = None):
    """The class ``module.qualname`` from ganbalance or torch; ValueError for anything else.

    ``allowed_root`` narrows that to one of the two (ganbalance, for saved objects).
    ganbalance classes may be any; torch classes must be modules or optimizers. Only modules
    of those two packages are ever imported.
    """
    if not isinstance(name, str) or not _NAME.match(name) or "." not in name:
        raise ValueError(f"invalid class name {name!r}.")
    module_name, _, qualname = name.rpartition(".")
    root = _root_of(module_name)
    allowed = ("ganbalance", "torch")
    if allowed_root is not None:
        allowed = tuple(r for r in allowed if r == allowed_root)
    if root not in allowed:
        raise ValueError(f"the class {name} is not from {' or '.join(allowed)}; ganbalance save "
                         "files name no other classes.")
    module = importlib.import_module(module_name)
    cls = getattr(module, qualname, None)
    if not (isinstance(cls, type) and cls.__module__ == module_name
            and cls.__qualname__ == qualname):
        raise ValueError(f"{name} is not a class of ganbalance or torch.")
    if root == "torch" and not issubclass(cls, (torch.nn.Module, torch.optim.Optimizer)):
        raise ValueError(f"{name} is not a torch module or optimizer class.")
    return cls


class _Decoder:
    """Rebuilds objects from the safe tree; numbers shared objects as the encoder did."""

    def __init__(self, external):
        self.external = external
        self.used_external = set()
        self.memo = []

    def _number(self, value=None) -> int:
        self.memo.append(value)
        return len(self.memo) - 1

    def decode(self, node, path):
        if type(node) in _PLAIN or isinstance(node, torch.Tensor):
            return node
        if isinstance(node, list):
            out = []
            self._number(out)
            out.extend(self.decode(v, f"{path}[{i}]") for i, v in enumerate(node))
            return out
        if not isinstance(node, dict):
            raise ValueError(f"unexpected {type(node).__name__} at {path}.")
        tags = [k for k in node if isinstance(k, str) and k.startswith("__")]
        if not tags:
            out = {}
            self._number(out)
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ValueError(f"unexpected key {key!r} at {path}.")
                out[key] = self.decode(value, f"{path}.{key}")
            return out
        handler = _TAGS.get(tags[0])
        if len(tags) != 1 or handler is None:
            raise ValueError(f"unknown entry {tags} at {path}.")
        return handler(self, node, path)

    def decode_object(self, name, state, path):
        cls = _resolve_class(name, "ganbalance")
        if issubclass(cls, (torch.nn.Module, torch.optim.Optimizer)):
            raise ValueError(f"{name} at {path} is a module class; a save file holds modules "
                             "as state dicts only.")
        obj = cls.__new__(cls)
        self._number(obj)
        state = self.decode(state, path)
        if not isinstance(state, dict):
            raise ValueError(f"the state of {path} is not a dict.")
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        device = getattr(obj, "device_", None)
        if isinstance(device, str):  # says where the model really is, at every level
            obj.device_ = load_device(device, cls.__name__)
        return obj

    def _object(self, node, path):
        _expect_keys(node, {"__object__", "state"}, path)
        return self.decode_object(node["__object__"], node["state"], path)

    def _class(self, node, path):
        _expect_keys(node, {"__class__"}, path)
        return _resolve_class(node["__class__"])

    def _ref(self, node, path):
        _expect_keys(node, {"__ref__"}, path)
        index = node["__ref__"]
        if type(index) is not int or not 0 <= index < len(self.memo) \
                or self.memo[index] is None:
            raise ValueError(f"invalid reference at {path}.")
        return self.memo[index]

    def _external(self, node, path):
        _expect_keys(node, {"__external__"}, path)
        name = node["__external__"]
        if name not in self.external:
            raise ValueError(
                f"this file was saved without its {name!r} value (external={[name]!r}); pass "
                f"it: load(path, {name}=...)."
            )
        self.used_external.add(name)
        return self.external[name]

    def _tuple(self, node, path):
        _expect_keys(node, {"__tuple__"}, path)
        items = node["__tuple__"]
        if not isinstance(items, list):
            raise ValueError(f"invalid tuple at {path}.")
        return tuple(self.decode(v, f"{path}[{i}]") for i, v in enumerate(items))

    def _pairs(self, node, path):
        _expect_keys(node, {"__dict__"}, path)
        out = {}
        self._number(out)
        pairs = node["__dict__"]
        if not isinstance(pairs, list):
            raise ValueError(f"invalid dict at {path}.")
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ValueError(f"invalid dict entry at {path}.")
            key = self.decode(pair[0], path)
            try:
                out[key] = self.decode(pair[1], f"{path}[{key!r}]")
            except TypeError as exc:  # an unhashable key
                raise ValueError(f"invalid dict key at {path}.") from exc
        return out

    def _dtype(self, node, path):
        _expect_keys(node, {"__dtype__"}, path)
        return _safe_dtype(node["__dtype__"], _BYTE_KINDS + "O", path)

    def _scalar(self, node, path):
        _expect_keys(node, {"__npscalar__", "data"}, path)
        return _array_from_bytes(node["__npscalar__"], [], node["data"], path)[()]

    def _array(self, node, path):
        index = self._number()
        if not isinstance(node["__ndarray__"], str):
            raise ValueError(f"invalid array dtype at {path}.")
        shape = node.get("shape")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise ValueError(f"invalid array shape at {path}.")
        if node["__ndarray__"] == "|O":
            _expect_keys(node, {"__ndarray__", "shape", "items"}, path)
            items = node["items"]
            if not isinstance(items, list) or len(items) != int(np.prod(shape)):
                raise ValueError(f"invalid object array at {path}.")
            out = np.empty(len(items), dtype=object)
            for i, item in enumerate(items):
                if type(item) not in _PLAIN and not isinstance(item, dict):
                    raise ValueError(f"invalid object array item at {path}.")
                out[i] = item if type(item) in _PLAIN else self._scalar(item, path)
            out = out.reshape(shape)
        else:
            _expect_keys(node, {"__ndarray__", "shape", "data"}, path)
            out = _array_from_bytes(node["__ndarray__"], shape, node["data"], path)
        self.memo[index] = out
        return out

    def _rng(self, node, path):
        _expect_keys(node, {"__rng__", "state"}, path)
        index = self._number()
        state = self.decode(node["state"], f"{path}.state")
        kind = node["__rng__"]
        try:
            if kind == "RandomState":
                rng = np.random.RandomState()
                rng.set_state(state)
            elif kind == "Generator" and isinstance(state, dict) \
                    and state.get("bit_generator") in _BIT_GENERATORS:
                bit_generator = getattr(np.random, state["bit_generator"])()
                bit_generator.state = state
                rng = np.random.Generator(bit_generator)
            else:
                raise ValueError(kind)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"invalid random generator at {path}.") from exc
        self.memo[index] = rng
        return rng


_TAGS = {
    "__object__": _Decoder._object,
    "__class__": _Decoder._class,
    "__ref__": _Decoder._ref,
    "__external__": _Decoder._external,
    "__tuple__": _Decoder._tuple,
    "__dict__": _Decoder._pairs,
    "__dtype__": _Decoder._dtype,
    "__npscalar__": _Decoder._scalar,
    "__ndarray__": _Decoder._array,
    "__rng__": _Decoder._rng,
}


def _expect_keys(node, keys, path) -> None:
    if set(node) != keys:
        raise ValueError(f"invalid entry at {path}: keys {sorted(map(str, node))}.")


def _safe_dtype(text, kinds, path):
    if not isinstance(text, str) or len(text) > 16:
        raise ValueError(f"invalid dtype at {path}.")
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise ValueError(f"invalid dtype {text!r} at {path}.") from exc
    if dtype.fields is not None or dtype.kind not in kinds:
        raise ValueError(f"invalid dtype {text!r} at {path}.")
    return dtype


def _array_from_bytes(dtype, shape, data, path):
    dtype = _safe_dtype(dtype, _BYTE_KINDS, path)
    if not (isinstance(data, torch.Tensor) and data.dtype == torch.uint8 and data.dim() == 1):
        raise ValueError(f"invalid array data at {path}.")
    if data.numel() != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"array data of the wrong size at {path}.")
    return np.frombuffer(data.numpy().tobytes(), dtype=dtype).reshape(shape).copy()

