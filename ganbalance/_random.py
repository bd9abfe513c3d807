"""Seed handling that never touches the global numpy or torch random state.

Every estimator in ganbalance turns its ``random_state`` into one integer seed at the start of
``fit`` (:func:`draw_seed`), then does all of its random work inside :func:`torch_rng_scope`,
which forks torch's global generators, seeds them, and restores them on exit. numpy randomness
comes from a local :class:`numpy.random.Generator` built from the same seed.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch

_MAX_SEED = 2**31 - 1


def draw_seed(random_state) -> int:
    """Turn a scikit-learn style ``random_state`` into an integer seed.

    ``None`` draws fresh OS entropy (not the global numpy generator, which stays untouched), an
    int is used as it is, and a :class:`numpy.random.RandomState` or
    :class:`numpy.random.Generator` instance is advanced by one draw, as scikit-learn does.
    """
    if random_state is None:
        return int(np.random.default_rng().integers(_MAX_SEED))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) <= 2**32 - 1:
            raise ValueError(
                f"random_state must be None, an int in [0, 2**32 - 1], a RandomState or a "
                f"Generator; got {random_state!r}."
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(_MAX_SEED))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(_MAX_SEED))
    raise TypeError(
        "random_state must be None, an int, a numpy RandomState or a numpy Generator; "
        f"got {type(random_state).__name__}."
    )


def child_seed(seed: int, *keys: int) -> int:
    """A seed derived from ``seed`` and ``keys``, independent of the parent stream."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0] & _MAX_SEED)


@contextlib.contextmanager
def torch_rng_scope(seed: int, device: torch.device | str = "cpu"):
    """Seed torch for the duration of the block and restore every global generator after.

    Module initialisation, dropout and ``torch.randn`` inside the block are reproducible from
    ``seed``; the caller's torch RNG state (CPU and, where used, the CUDA device) is unchanged
    afterwards.
    """
    device = torch.device(device)
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed(seed)
        yield
