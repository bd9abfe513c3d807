"""The classifier trained on the real data, whose penultimate layer is the metrics' feature
space (:func:`fit_feature_classifier`), and the features of the real and generated rows."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
from torch import nn

from .._random import child_seed
from .._validation import check_image_shape, check_numeric_dtype, check_same_length
from ..classifier import TorchClassifier
from ..models import MLP, SmallCNN
from ._inputs import _BATCH_SIZE, _SEED_CLASSIFIER, _check_epochs, _Data, _Standardizer

__all__ = ["fit_feature_classifier"]


def fit_feature_classifier(X, y, *, image_shape=None, epochs=None, device="auto",
                           random_state=None):
    """Train the classifier that defines the metrics' feature space and class consistency.

    A :class:`~sklearn.pipeline.Pipeline` of a standardisation step (per feature for tabular
    rows; one global mean and scale for images) and a
    :class:`~ganbalance.classifier.TorchClassifier`: :class:`~ganbalance.models.SmallCNN` when
    ``image_shape`` is given (its penultimate layer has 64 units), else an
    :class:`~ganbalance.models.MLP` with one hidden layer of 64 units. It trains with Adam
    (lr 1e-3), batches of 64 and ``class_weight='balanced'``, so that a class with a handful of
    rows still counts. Train it once and pass it as ``classifier=`` to the metric functions to
    compare several generators in the same feature space.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real rows (flattened images when ``image_shape`` is set).
    y : array-like of shape (n_samples,)
        Their labels; at least two classes.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (H and W >= 4), or None for tabular rows.
    epochs : int or None, default=None
        Training epochs. None trains for about 600 optimisation steps (at least one epoch).
    device : str, default='auto'
        'auto', 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the classifier; an int gives the same classifier on CPU every time.

    Returns
    -------
    classifier : sklearn.pipeline.Pipeline
        The fitted pipeline; ``classifier[-1]`` is the TorchClassifier.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import fit_feature_classifier
    >>> X, y = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    >>> clf = fit_feature_classifier(X, y, epochs=2, device="cpu", random_state=0)
    >>> clf.predict(X[:3]).shape
    (3,)
    """
    check_numeric_dtype(X, "X")
    check_same_length(X, y)
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    y = column_or_1d(y, warn=False)
    check_classification_targets(y)
    image_shape = check_image_shape(image_shape, X.shape[1])
    epochs = _check_epochs(epochs, len(X))
    if image_shape is not None:
        net = TorchClassifier(SmallCNN, image_shape=image_shape)
    else:
        net = TorchClassifier(MLP, module__hidden=64)
    net.set_params(lr=1e-3, max_epochs=epochs, batch_size=_BATCH_SIZE, class_weight="balanced",
                   device=device, random_state=random_state)
    return Pipeline([("standardize", _Standardizer(image_shape)), ("classifier", net)]).fit(X, y)


def _penultimate(classifier, X: np.ndarray) -> np.ndarray:
    """Input of the last nn.Linear of a fitted TorchClassifier (or a Pipeline ending in one)."""
    final = classifier
    if isinstance(classifier, Pipeline):
        final = classifier[-1]
        if len(classifier) > 1:
            X = np.asarray(classifier[:-1].transform(X))
    if not isinstance(final, TorchClassifier):
        raise TypeError(
            "feature_extractor=None takes the penultimate layer of classifier, which must then "
            "be a TorchClassifier or a Pipeline ending in one; got "
            f"{type(final).__name__}. Pass feature_extractor='raw' or a callable."
        )
    check_is_fitted(final)
    linears = [m for m in final.module_.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(
            "classifier's module has no torch.nn.Linear layer to take the penultimate "
            "activations from; pass feature_extractor='raw' or a callable."
        )
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.shape[1] != final.n_features_in_:
        raise ValueError(
            f"classifier expects {final.n_features_in_} features; got {X.shape[1]}."
        )
    image_shape = check_image_shape(final.image_shape, X.shape[1])
    captured = []

    def hook(module, args):
        captured.append(args[0].detach().flatten(1).to("cpu", torch.float64))

    module = final.module_
    device = torch.device(final.device_)
    was_training = module.training
    handle = linears[-1].register_forward_pre_hook(hook)
    module.eval()
    try:
        with torch.no_grad():
            for lo in range(0, len(X), 256):
                xb = torch.from_numpy(X[lo:lo + 256])
                if image_shape is not None:
                    xb = xb.reshape(len(xb), *image_shape)
                module(xb.to(device))
    finally:
        handle.remove()
        module.train(was_training)
    if not captured:
        return np.zeros((0, linears[-1].in_features))
    return torch.cat(captured).numpy()


def _feature_space(data: _Data, classifier, feature_extractor, epochs, device, seed):
    """Features of the real and synthetic rows, the classifier used and a description."""
    if feature_extractor == "raw":
        scaler = _Standardizer(data.image_shape).fit(data.X_real)
        return (scaler.transform(data.X_real).astype(np.float64, copy=False),
                scaler.transform(data.X_synth).astype(np.float64, copy=False), classifier,
                "standardised raw features")
    if callable(feature_extractor):
        out = []
        for X, name in ((data.X_real, "X_real"), (data.X_synth, "X_synth")):
            F = np.asarray(feature_extractor(X), dtype=np.float64)
            if F.ndim != 2 or len(F) != len(X):
                raise ValueError(
                    f"feature_extractor must return a 2-d array with one row per row of X; "
                    f"got shape {F.shape} for {name} with {len(X)} rows."
                )
            if not np.all(np.isfinite(F)):
                raise ValueError(f"feature_extractor returned non-finite values for {name}.")
            out.append(F)
        return out[0], out[1], classifier, "features from feature_extractor"
    classifier, description = _classifier_and_description(data, classifier, epochs, device, seed)
    X_synth = data.X_synth
    F_synth = _penultimate(classifier, X_synth) if len(X_synth) else None
    F_real = _penultimate(classifier, data.X_real)
    if F_synth is None:
        F_synth = np.zeros((0, F_real.shape[1]))
    return F_real, F_synth, classifier, description


def _classifier_and_description(data: _Data, classifier, epochs, device, seed):
    """The classifier, trained here when None, and a description of its penultimate layer."""
    if classifier is None:
        classifier = _default_classifier(data, epochs, device, seed)
        name = "SmallCNN" if data.image_shape is not None else "MLP"
        return classifier, f"penultimate layer of a {name} trained on the real data"
    return classifier, "penultimate layer of the given classifier"


def _default_classifier(data: _Data, epochs, device, seed):
    return fit_feature_classifier(data.X_real, data.y_real, image_shape=data.image_shape,
                                  epochs=epochs, device=device,
                                  random_state=child_seed(seed, _SEED_CLASSIFIER))
