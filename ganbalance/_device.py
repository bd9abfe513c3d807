"""Device strings, checked once and resolved to a :class:`torch.device`."""

from __future__ import annotations

import re
import warnings

import torch

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device(device) -> str:
    """Validate a device parameter: 'auto', 'cpu', 'cuda' or 'cuda:N'."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'auto', 'cpu', 'cuda' or 'cuda:0'; "
            f"got {type(device).__name__}."
        )
    if not _DEVICE_PATTERN.match(device):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}."
        )
    return device


def resolve_device(device) -> torch.device:
    """Resolve a validated device string to the :class:`torch.device` to train on.

    'auto' picks CUDA when it is available, else the CPU. Asking for CUDA on a machine without
    it raises a ValueError instead of failing later inside torch.
    """
    device = check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was asked for, but CUDA is not available.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was asked for, but only {torch.cuda.device_count()} CUDA "
                "device(s) exist."
            )
    return resolved


def load_device(device, owner: str | None = None) -> str:
    """The device to rebuild a loaded (unpickled or :func:`ganbalance.load`-ed) model on.

    ``device`` is the ``device_`` recorded when the model was trained. It is kept when this
    machine has it; a CUDA device that this machine lacks (no CUDA, or fewer GPUs) becomes
    'cpu', with a :class:`UserWarning` naming ``owner`` (the estimator's class name). Every
    estimator uses this one rule, so ``device_`` says where a loaded model really is.

    Parameters
    ----------
    device : str or None
        The recorded device, e.g. 'cpu', 'cuda' or 'cuda:1'. None gives 'cpu'.
    owner : str or None, default=None
        Name used in the warning.

    Returns
    -------
    device : str
        ``device`` or 'cpu'.

    Examples
    --------
    >>> from ganbalance._device import load_device
    >>> load_device("cpu")
    'cpu'
    """
    if device is None:
        return "cpu"
    if not isinstance(device, str) or not _DEVICE_PATTERN.match(device) or device == "auto":
        raise ValueError(f"A recorded device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    resolved = torch.device(device)
    if resolved.type != "cuda":
        return device
    if torch.cuda.is_available() and (resolved.index is None
                                      or resolved.index < torch.cuda.device_count()):
        return device
    warnings.warn(
        f"This {owner or 'model'} was trained on {device}, which this machine does not have; "
        "it was loaded onto the CPU.",
        UserWarning,
        stacklevel=3,
    )
    return "cpu"
