"""Errors and warnings raised by ganbalance."""

__all__ = ["TrainingDivergedError", "DataSourceWarning", "GANCollapseWarning"]


class TrainingDivergedError(RuntimeError):
    """A GAN loss became NaN or infinite. The message names the step and the loss."""


class DataSourceWarning(UserWarning):
    """A dataset was loaded from a fallback source rather than the one asked for."""


class GANCollapseWarning(UserWarning):
    """The generated rows of a class show clear collapse: near-zero variety, or near-copies of
    the real rows (see :func:`ganbalance.metrics.detect_collapse`). The message names the
    classes and the reasons.

    Filter it like any warning, e.g.
    ``warnings.filterwarnings("ignore", category=GANCollapseWarning)``, or turn it into an error
    with ``"error"`` in place of ``"ignore"``.
    """
