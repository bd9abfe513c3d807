"""Building :class:`~ganbalance.TorchClassifier`'s module, criterion and optimizer from its
parameters, and the class weights it gives the criterion. Each function builds new objects and
changes nothing it is given."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.utils import compute_class_weight
from torch import nn

__all__ = ["AUTO_MODULE_ARGS", "build_criterion", "build_module", "build_optimizer",
           "class_weight_tensor"]

#: Names a module class or factory may declare to receive them from the data.
AUTO_MODULE_ARGS = ("n_features", "n_classes", "image_shape")


def build_module(module, kwargs: dict, n_features: int, n_classes: int, image_shape):
    """A new network: a deep copy of an instance, or ``module(**kwargs)`` with ``kwargs`` the
    ``module__*`` parameters (without their prefix) and, where the signature of ``module``
    names them and ``kwargs`` does not, the data's ``n_features`` and ``n_classes`` and the
    checked ``image_shape`` (when not None): the names of :data:`AUTO_MODULE_ARGS`.

    Raises a TypeError when ``module`` does not accept a ``module__*`` parameter, or does
    not return an :class:`~torch.nn.Module`. A factory whose signature cannot be inspected
    gets only the ``module__*`` parameters.
    """
    if isinstance(module, nn.Module):
        return copy.deepcopy(module)
    kwargs = dict(kwargs)
    names, has_var_kw = _signature_names(module)
    auto = {"n_features": n_features, "n_classes": n_classes, "image_shape": image_shape}
    for name in AUTO_MODULE_ARGS:
        if name in (names or ()) and name not in kwargs and auto[name] is not None:
            kwargs[name] = auto[name]
    if names is not None and not has_var_kw:
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(
                f"module {_name_of(module)} does not accept "
                f"{', '.join('module__' + k for k in unknown)}."
            )
    try:
        built = module(**kwargs)
    except TypeError as exc:
        if names is not None:  # the signature was checked: the error is the module's own
            raise
        given = ", ".join(f"{k}=" for k in sorted(kwargs)) or "no arguments"
        raise TypeError(f"module {_name_of(module)} could not be called with {given}: its "
                        "signature cannot be inspected, so only the module__* parameters are "
                        f"passed, never {', '.join(AUTO_MODULE_ARGS)}. {exc}") from exc
    if not isinstance(built, nn.Module):
        raise TypeError(
            f"module {_name_of(module)} returned {type(built).__name__}, not an nn.Module."
        )
    return built


def build_criterion(criterion, kwargs: dict, class_weight: torch.Tensor | None):
    """A new loss: a deep copy of an instance, or ``criterion(**kwargs)`` with ``kwargs``
    the ``criterion__*`` parameters (without their prefix), and ``weight=class_weight``
    (one weight per class) unless that is None. A criterion whose signature has no
    ``weight`` cannot take class weights: that raises a ValueError.
    """
    if isinstance(criterion, nn.Module):
        return copy.deepcopy(criterion)
    kwargs = dict(kwargs)
    if class_weight is not None:
        names, has_var_kw = _signature_names(criterion)
        if names is not None and "weight" not in names and not has_var_kw:
            raise ValueError(
                f"class_weight needs a criterion that accepts weight=; "
                f"{_name_of(criterion)} does not."
            )
        kwargs["weight"] = class_weight
    return criterion(**kwargs)


def build_optimizer(optimizer, kwargs: dict, module, lr: float):
    """``optimizer(module.parameters(), **kwargs, lr=lr)``, with ``kwargs`` the
    ``optimizer__*`` parameters (without their prefix) and ``lr`` the checked learning rate,
    which replaces ``kwargs['lr']``."""
    return optimizer(module.parameters(), **{**kwargs, "lr": lr})


def class_weight_tensor(class_weight, classes, y_labels, device):
    """The weight of each class, in the order of ``classes``, or None without class weights.

    Parameters
    ----------
    class_weight : None, 'balanced' or dict
        The ``class_weight`` parameter; a dict's labels must be among ``classes`` (missing
        ones get 1).
    classes : ndarray
        The sorted class labels.
    y_labels : ndarray
        The training labels ('balanced' counts them).
    device : torch.device
        Where the tensor goes.

    Returns
    -------
    weight : torch.Tensor of shape (n_classes,) or None
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, Mapping):
        unknown = [k for k in class_weight if k not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown!r} that are not among the classes "
                f"{classes.tolist()!r}."
            )
        weights = np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    else:
        weights = compute_class_weight(class_weight, classes=classes, y=y_labels)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"class_weight must give finite weights >= 0; got {weights}.")
    return torch.as_tensor(weights, dtype=torch.float32, device=device)


def _signature_names(func):
    """Named parameters of a callable (and whether it takes **kwargs); None if unknown."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None, True
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in parameters if p.kind in kinds}
    has_var_kw = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)
    return names, has_var_kw


def _name_of(obj) -> str:
    return getattr(obj, "__qualname__", None) or type(obj).__name__
