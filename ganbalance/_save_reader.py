"""Reading ganbalance save files: the tree that ``torch.load(weights_only=True)`` returns,
turned back into objects (:class:`Decoder`), by :func:`ganbalance.persistence.load`.

The tree holds only plain data and tensors; every tagged entry (``__object__``, ``__class__``,
``__ndarray__``, ...) is checked before it is rebuilt, and classes are looked up only in
ganbalance and torch (:func:`resolve_class`), so that a crafted file cannot run code. The
writer (:mod:`ganbalance._save_writer`) checks that every class it names resolves here.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import torch

from ._device import load_device

__all__ = ["BYTE_KINDS", "PLAIN", "Decoder", "resolve_class"]

#: Values stored as they are.
PLAIN = (type(None), bool, int, float, str)
#: Raw-byte numpy dtypes: bool, integers, floats, complex, timedeltas, datetimes, strings.
BYTE_KINDS = "biufcmMUS"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


def resolve_class(name, allowed_root: str | None = None):
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


def _root_of(module_name: str) -> str:
    """The top-level package of ``module_name``."""
    return module_name.split(".", 1)[0]


class Decoder:
    """Rebuilds objects from the safe tree; numbers shared objects as the encoder did."""

    def __init__(self, external):
        self.external = external
        self.used_external = set()
        self.memo = []

    def _number(self, value=None) -> int:
        """Number the next shared object (``value``, or a placeholder set later)."""
        self.memo.append(value)
        return len(self.memo) - 1

    def decode(self, node, path):
        """The object that ``node`` stands for; ``path`` says where it is, for errors."""
        if type(node) in PLAIN or isinstance(node, torch.Tensor):
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
        """A ganbalance object of class ``name``, given its ``state`` as unpickling does."""
        cls = resolve_class(name, "ganbalance")
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
        """``{'__object__': name, 'state': ...}``: a ganbalance object."""
        _expect_keys(node, {"__object__", "state"}, path)
        return self.decode_object(node["__object__"], node["state"], path)

    def _class(self, node, path):
        """``{'__class__': name}``: a ganbalance class, or a torch module or optimizer class."""
        _expect_keys(node, {"__class__"}, path)
        return resolve_class(node["__class__"])

    def _ref(self, node, path):
        """``{'__ref__': index}``: an object met before, shared again."""
        _expect_keys(node, {"__ref__"}, path)
        index = node["__ref__"]
        if type(index) is not int or not 0 <= index < len(self.memo) \
                or self.memo[index] is None:
            raise ValueError(f"invalid reference at {path}.")
        return self.memo[index]

    def _external(self, node, path):
        """``{'__external__': name}``: the value passed to ``load`` as ``name``."""
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
        """``{'__tuple__': [...]}``: a tuple."""
        _expect_keys(node, {"__tuple__"}, path)
        items = node["__tuple__"]
        if not isinstance(items, list):
            raise ValueError(f"invalid tuple at {path}.")
        return tuple(self.decode(v, f"{path}[{i}]") for i, v in enumerate(items))

    def _pairs(self, node, path):
        """``{'__dict__': [[key, value], ...]}``: a dict with keys other than plain strings."""
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
        """``{'__dtype__': str}``: a numpy dtype."""
        _expect_keys(node, {"__dtype__"}, path)
        return _safe_dtype(node["__dtype__"], BYTE_KINDS + "O", path)

    def _scalar(self, node, path):
        """``{'__npscalar__': dtype, 'data': bytes}``: a numpy scalar."""
        _expect_keys(node, {"__npscalar__", "data"}, path)
        return _array_from_bytes(node["__npscalar__"], [], node["data"], path)[()]

    def _array(self, node, path):
        """``{'__ndarray__': dtype, 'shape': ..., 'data' or 'items': ...}``: a numpy array."""
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
                if type(item) not in PLAIN and not isinstance(item, dict):
                    raise ValueError(f"invalid object array item at {path}.")
                out[i] = item if type(item) in PLAIN else self._scalar(item, path)
            out = out.reshape(shape)
        else:
            _expect_keys(node, {"__ndarray__", "shape", "data"}, path)
            out = _array_from_bytes(node["__ndarray__"], shape, node["data"], path)
        self.memo[index] = out
        return out

    def _rng(self, node, path):
        """``{'__rng__': kind, 'state': ...}``: a numpy RandomState or Generator."""
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
    "__object__": Decoder._object,
    "__class__": Decoder._class,
    "__ref__": Decoder._ref,
    "__external__": Decoder._external,
    "__tuple__": Decoder._tuple,
    "__dict__": Decoder._pairs,
    "__dtype__": Decoder._dtype,
    "__npscalar__": Decoder._scalar,
    "__ndarray__": Decoder._array,
    "__rng__": Decoder._rng,
}


def _expect_keys(node, keys, path) -> None:
    """Raise a ValueError unless ``node`` has exactly the keys ``keys``."""
    if set(node) != keys:
        raise ValueError(f"invalid entry at {path}: keys {sorted(map(str, node))}.")


def _safe_dtype(text, kinds, path):
    """The numpy dtype written ``text``, if it is a plain dtype of one of ``kinds``."""
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
    """A new array of ``dtype`` and ``shape`` from the raw bytes ``data`` (a uint8 tensor)."""
    dtype = _safe_dtype(dtype, BYTE_KINDS, path)
    if not (isinstance(data, torch.Tensor) and data.dtype == torch.uint8 and data.dim() == 1):
        raise ValueError(f"invalid array data at {path}.")
    if data.numel() != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"array data of the wrong size at {path}.")
    return np.frombuffer(data.numpy().tobytes(), dtype=dtype).reshape(shape).copy()

