"""Writing ganbalance save files: an object turned into a tree of plain data and tensors
(:class:`Encoder`), which :func:`ganbalance.persistence.save` hands to :func:`torch.save`.

What is not plain data is tagged in that tree for :mod:`ganbalance._save_reader` to rebuild;
anything that could not be rebuilt without running code is refused with a TypeError that says
where it is and what to do instead (:func:`_cannot_store`).
"""

from __future__ import annotations

import numpy as np
import torch

from ._save_reader import BYTE_KINDS, PLAIN, resolve_class

__all__ = ["Encoder", "is_ganbalance_object"]


class Encoder:
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
        """The safe tree for ``value``; ``path`` says where it is, for errors."""
        if type(value) in PLAIN:
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
                                  np.random.Generator)) and not is_ganbalance_object(value):
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
        """(class name, encoded state) of a ganbalance object."""
        cls = type(value)
        getstate = getattr(value, "__getstate__", None)
        state = getstate() if getstate is not None else vars(value)
        state = {} if state is None else state
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise TypeError(f"{path} ({cls.__qualname__}) has a state that is not a dict of "
                            "attributes, which a ganbalance save file cannot hold.")
        return _class_name(cls, path), self.encode(state, path)

    def _encode_dict(self, value, path):
        """A dict; as a list of pairs when a key is not a plain string."""
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
        """A dict key: plain data, a numpy scalar or a tuple of them."""
        if type(key) in PLAIN or isinstance(key, np.generic):
            return self.encode(key, path)
        if type(key) is tuple:
            return {"__tuple__": [self._encode_key(k, path) for k in key]}
        raise TypeError(f"{path} has a key {key!r} of type {type(key).__name__}, which a "
                        "ganbalance save file cannot hold.")

    def _encode_array(self, value, path):
        """A numpy array: raw bytes, or a list for an object array of plain scalars."""
        if type(value) is not np.ndarray:
            raise TypeError(_cannot_store(value, path))
        shape = list(value.shape)
        if value.dtype.kind == "O":
            items = []
            for i, item in enumerate(value.ravel(order="C").tolist()):
                if not (type(item) in PLAIN or isinstance(item, np.generic)):
                    raise TypeError(_cannot_store(item, f"{path}.flat[{i}]"))
                items.append(self.encode(item, path))
            return {"__ndarray__": "|O", "shape": shape, "items": items}
        return {"__ndarray__": _array_dtype(value, path), "shape": shape,
                "data": _array_bytes(value)}


def _array_dtype(value, path):
    """The dtype string of an array stored as raw bytes; TypeError for any other dtype."""
    if value.dtype.kind not in BYTE_KINDS or value.dtype.fields is not None:
        raise TypeError(f"{path} is an array of dtype {value.dtype}, which a ganbalance save "
                        "file cannot hold.")
    return value.dtype.str


def _array_bytes(value):
    """The raw bytes of ``value``, in C order, as a uint8 tensor."""
    flat = np.ascontiguousarray(value).reshape(-1)
    return torch.from_numpy(flat.view(np.uint8).copy())


def _dtype_str(dtype, path):
    """The string of a dtype a file may hold; TypeError for any other."""
    if dtype.fields is not None or dtype.kind not in BYTE_KINDS + "O":
        raise TypeError(f"{path} is the dtype {dtype}, which a ganbalance save file cannot "
                        "hold.")
    return dtype.str


def is_ganbalance_object(value) -> bool:
    """Whether ``value`` is an instance of a ganbalance class."""
    module = type(value).__module__ or ""
    return (module == "ganbalance" or module.startswith("ganbalance.")) \
        and not isinstance(value, type)


def _class_name(cls, path) -> str:
    """``module.qualname`` of a class a save file may name; TypeError for any other."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        resolved = resolve_class(name)
    except ValueError:
        resolved = None
    if resolved is not cls:
        raise TypeError(_cannot_store(cls, path))
    return name



def _cannot_store(value, path) -> str:
    """The TypeError message for ``value`` at ``path``: what it is, and what to do."""
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
