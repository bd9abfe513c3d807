"""Errors and warnings raised by ganbalance."""

__all__ = ["TrainingDivergedError", "DataSourceWarning"]


class TrainingDivergedError(RuntimeError):
    """A GAN loss became NaN or infinite. The message names the step and the loss."""


class DataSourceWarning(UserWarning):
    """A dataset was loaded from a fallback source rather than the one asked for."""
