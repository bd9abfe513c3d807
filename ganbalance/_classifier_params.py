"""The checks of :class:`~ganbalance.TorchClassifier`'s parameters that its
``_parameter_constraints`` table cannot express: the prefixed ``module__*``, ``criterion__*``
and ``optimizer__*`` parameters, and the rules that tie two parameters together. Each raises a
ValueError or TypeError naming the parameters, before any training."""

from __future__ import annotations

import numbers

from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from torch import nn

__all__ = ["PREFIXES", "check_components", "check_early_stopping", "check_learning_rate",
           "check_prefixed_names", "validate_some"]

#: The prefixes of the parameters passed on to the module, the criterion and the optimizer.
PREFIXES = ("module__", "optimizer__", "criterion__")

# The prefixed parameters that ganbalance reads itself, checked like the table's entries.
_PREFIXED_CONSTRAINTS = {"optimizer__lr": [Interval(numbers.Real, 0, None, closed="neither")]}


def check_prefixed_names(params: dict, where: str) -> None:
    """Every extra parameter has a prefix, and ``optimizer__params`` is not among them.

    Parameters
    ----------
    params : dict
        The parameters given beyond the named ones (``module__hidden=8``, ...).
    where : str
        The estimator's class name, for the message.
    """
    unexpected = sorted(k for k in params if not k.startswith(PREFIXES))
    if unexpected:
        raise TypeError(
            f"{where} got unexpected parameter(s) {', '.join(unexpected)}; extra "
            "parameters must start with module__, criterion__ or optimizer__."
        )
    if "optimizer__params" in params:
        raise ValueError("optimizer__params is not allowed: the module's parameters are "
                         "passed to the optimizer.")


def check_components(module, criterion, class_weight, params: dict) -> None:
    """Prefixed parameters need a class or factory to call, and class weights a criterion
    that takes ``weight=``, given once.

    Parameters
    ----------
    module : type, callable or torch.nn.Module
        The ``module`` parameter.
    criterion : type, callable or torch.nn.Module
        The ``criterion`` parameter.
    class_weight : None, 'balanced' or dict
        The ``class_weight`` parameter.
    params : dict
        The prefixed parameters.
    """
    module_params = sorted(k for k in params if k.startswith("module__"))
    if isinstance(module, nn.Module) and module_params:
        raise ValueError(
            f"module__* parameters ({', '.join(module_params)}) need module to be a class or "
            "factory; got an nn.Module instance."
        )
    if isinstance(criterion, nn.Module):
        if any(k.startswith("criterion__") for k in params):
            raise ValueError(
                "criterion__* parameters need criterion to be a class or factory; got an "
                "instance."
            )
        if class_weight is not None:
            raise ValueError(
                "class_weight needs criterion to be a class or factory that accepts "
                "weight=; got a criterion instance."
            )
    if class_weight is not None and "criterion__weight" in params:
        raise ValueError("Pass class weights either as class_weight or as "
                         "criterion__weight, not both.")


def check_learning_rate(lr, params: dict, where: str) -> float:
    """The learning rate: ``optimizer__lr`` when given (it takes the place of ``lr``, as in
    skorch), else ``lr``, which the table has checked.

    Parameters
    ----------
    lr : float
        The ``lr`` parameter.
    params : dict
        The prefixed parameters.
    where : str
        The estimator's class name, for the message.

    Returns
    -------
    lr : float
        The learning rate the optimizer gets.
    """
    if "optimizer__lr" not in params:
        return float(lr)
    value = params["optimizer__lr"]
    validate_parameter_constraints(_PREFIXED_CONSTRAINTS, {"optimizer__lr": value},
                                   caller_name=where)
    return float(value)


def check_early_stopping(early_stopping, validation_fraction) -> None:
    """Early stopping watches the held-out data, so it needs ``validation_fraction``."""
    if early_stopping and validation_fraction is None:
        raise ValueError("early_stopping=True needs validation_fraction (e.g. 0.1) to "
                         "hold out the data it monitors.")


def validate_some(estimator, names) -> None:
    """Check the parameters ``names`` against the estimator's ``_parameter_constraints``.

    For methods that read a few parameters after :meth:`fit` (which checks them all), since
    :meth:`set_params` may have changed them since.

    Parameters
    ----------
    estimator : BaseEstimator
        An estimator with a ``_parameter_constraints`` table.
    names : iterable of str
        The parameters to check.
    """
    table = estimator._parameter_constraints
    validate_parameter_constraints({name: table[name] for name in names},
                                   {name: getattr(estimator, name) for name in names},
                                   caller_name=type(estimator).__name__)
