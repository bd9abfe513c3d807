"""Pickling of :class:`~ganbalance.TorchClassifier` (and so :func:`ganbalance.save`, which
stores what ``__getstate__`` returns): the module, optimizer and criterion as plain CPU state
dicts, rebuilt from the parameters on load, so that loading never calls ``torch.load``."""

from __future__ import annotations

import torch
from torch import nn

from ._device import load_device
from ._random import torch_rng_scope
from ._training import tensors_to_cpu
from ._validation import check_image_shape

__all__ = ["LEGACY_PICKLE_KEY", "TorchStateMixin"]

#: The key of older pickles, which held a torch.save blob that only an unrestricted
#: torch.load could read.
LEGACY_PICKLE_KEY = "_ganbalance_torch_state"


class TorchStateMixin:
    """``__getstate__`` and ``__setstate__`` for an estimator with torch objects.

    Put it before :class:`sklearn.base.BaseEstimator`. The estimator provides its fitted
    ``module_``, ``optimizer_``, ``criterion_``, ``device_``, ``n_features_in_``,
    ``classes_``, ``image_shape``, ``lr``, ``_criterion_weight``, ``_params_for(prefix)`` and
    ``_build(...)``, which makes the three objects from the parameters.
    """

    def __getstate__(self):
        # Plain CPU state dicts, never pickled torch objects: unpickling (and ganbalance.load)
        # rebuilds the module, criterion and optimizer from the parameters and loads them.
        state = dict(super().__getstate__())
        if "module_" in state:
            state["module_"] = tensors_to_cpu(self.module_.state_dict())
            state["optimizer_"] = tensors_to_cpu(self.optimizer_.state_dict())
            criterion = self.criterion_
            state["criterion_"] = (tensors_to_cpu(criterion.state_dict())
                                   if isinstance(criterion, nn.Module) else None)
        return state

    def __setstate__(self, state):
        if LEGACY_PICKLE_KEY in state:
            raise ValueError(
                f"This {type(self).__name__} was pickled by an older ganbalance, whose format "
                "can only be read by running code stored in the file (an unrestricted "
                "torch.load); ganbalance no longer does that. Refit the model, or load "
                "it with the version that wrote it and store it with its save() method."
            )
        super().__setstate__(state)
        if isinstance(state.get("module_"), dict):
            self.device_ = load_device(self.device_, type(self).__name__)
            self._rebuild(state["module_"], state["optimizer_"], state.get("criterion_"))

    def _rebuild(self, module_state, optimizer_state, criterion_state) -> None:
        """Rebuild module_, criterion_ and optimizer_ from their state dicts, on device_."""
        device = torch.device(self.device_)
        weight = self._criterion_weight
        lr = self._params_for("optimizer").get("lr", self.lr)
        with torch_rng_scope(0):  # building initialises weights; they are overwritten below
            module, criterion, optimizer = self._build(
                self.n_features_in_, len(self.classes_), check_image_shape(self.image_shape),
                None if weight is None else weight.to(device), lr, device)
        module.load_state_dict(module_state)
        if isinstance(criterion, nn.Module) and criterion_state is not None:
            criterion.load_state_dict(criterion_state)
        optimizer.load_state_dict(optimizer_state)
        self.module_, self.criterion_, self.optimizer_ = module.eval(), criterion, optimizer
