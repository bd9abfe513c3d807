"""The quality report: every metric for each class in one :class:`pandas.DataFrame`."""

from __future__ import annotations

from .._optional import import_optional
from .._validation import check_float, check_int
from ._inputs import (
    _check_classifier,
    _check_collapse_thresholds,
    _check_epochs,
    _check_feature_extractor,
    _check_quantile,
    _check_random_state,
    _Data,
)
from .feature_classifier import _classifier_and_description, _feature_space
from .features import _consistency, _density_coverage_stats, _frechet_stats
from .raw import MIN_REFERENCE_ROWS, _collapse_reasons, _raw_stats

__all__ = ["quality_report"]

# The columns of a quality report, in order.
_REPORT_COLUMNS = [
    "class", "n_real", "n_synthetic", "consistency", "frechet_distance", "density", "coverage",
    "copy_rate", "copy_rate_baseline", "variety", "collapse", "note",
]


def quality_report(X_real, y_real, X_synth, y_synth, *, image_shape=None, classifier=None,
                   feature_extractor=None, k=5, copy_quantile=0.05, shrinkage=5.0,
                   min_variety=0.1, max_copy_rate=0.9, max_samples=1000, epochs=None,
                   device="auto", random_state=None):
    """Every metric of this module for each class, in one :class:`pandas.DataFrame`.

    The classifier is trained once (unless given) and used for consistency and for the
    feature space of the Fréchet distance, density and coverage.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image when the rows are flattened images: SmallCNN features and pixel
        distances. None: tabular rows, MLP features and per-feature standardisation.
    classifier : fitted classifier or None, default=None
        Reused instead of training one, e.g. from :func:`fit_feature_classifier`; pass the
        same one to compare generators. Its penultimate layer is the feature space unless
        ``feature_extractor`` says otherwise.
    feature_extractor : None, 'raw' or callable, default=None
        The feature space, as in :func:`frechet_distance`.
    k : int, default=5
        Neighbours for density and coverage.
    copy_quantile : float in (0, 1), default=0.05
        Sets the copy threshold (see :func:`copy_rate`).
    shrinkage : float, default=5.0
        Covariance shrinkage of the per-class Fréchet distance.
    min_variety, max_copy_rate : float, default=0.1, 0.9
        Thresholds of the ``collapse`` column (see :func:`detect_collapse`).
    max_samples : int, default=1000
        At most this many real and generated rows per class for the neighbour-based metrics.
    epochs : int or None, default=None
        Epochs of the default classifier (None: about 600 optimisation steps).
    device : str, default='auto'
        Device of the default classifier.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the default classifier and the subsamples.

    Returns
    -------
    report : pandas.DataFrame
        One row per class of ``y_real``, in sorted order, with the columns ``class``,
        ``n_real``, ``n_synthetic``, ``consistency``, ``frechet_distance``, ``density``,
        ``coverage``, ``copy_rate``, ``copy_rate_baseline``, ``variety``, ``collapse`` (bool)
        and ``note`` (caveats and collapse reasons, '' when none). Metrics are NaN where they
        are undefined (a class without generated rows, density with one real row).
        ``report.attrs`` holds ``frechet_distance_overall`` (class-balanced, over the classes
        with generated rows), ``feature_space`` (a description) and the parameters used.

    See Also
    --------
    plot_quality_report : Draw the report.

    Examples
    --------
    Without ``classifier`` a small network is trained on the real data (a few seconds); here
    a logistic regression and the standardised rows keep the example instant.

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ganbalance.metrics import quality_report
    >>> X, y = make_blobs(n_samples=160, centers=2, n_features=4, random_state=0)
    >>> clf = LogisticRegression().fit(X[:80], y[:80])
    >>> report = quality_report(X[:80], y[:80], X[80:], y[80:], classifier=clf,
    ...                         feature_extractor="raw", random_state=0)
    >>> report[["class", "n_real", "n_synthetic", "collapse"]]
       class  n_real  n_synthetic  collapse
    0      0      40           40     False
    1      1      40           40     False
    >>> bool((report["consistency"] > 0.9).all())
    True
    """
    pd = import_optional("pandas", "quality_report returns a pandas DataFrame and needs "
                                   "pandas: pip install pandas (or ganbalance[examples]).")
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    classifier = _check_classifier(classifier)
    feature_extractor = _check_feature_extractor(feature_extractor)
    k = check_int(k, "k", minimum=1)
    copy_quantile = _check_quantile(copy_quantile)
    shrinkage = check_float(shrinkage, "shrinkage", low=0.0)
    min_variety, max_copy_rate = _check_collapse_thresholds(min_variety, max_copy_rate)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    seed = _check_random_state(random_state)
    epochs = _check_epochs(epochs, len(data.X_real))
    classifier, F_real, F_synth, description = _report_features(
        data, classifier, feature_extractor, epochs, device, seed)

    consistency = _consistency(data, classifier)
    frechet, overall = _frechet_stats(data, F_real, F_synth, shrinkage)
    dens_cov = _density_coverage_stats(data, F_real, F_synth, k, max_samples, seed)
    raw = _raw_stats(data, copy_quantile, max_samples, seed)

    rows = []
    for c in data.labels:
        n_real, n_synth = int(data.real(c).sum()), int(data.synth(c).sum())
        density, coverage, k_used = dens_cov[c]
        reasons = _collapse_reasons(raw[c], min_variety, max_copy_rate) if n_synth else []
        notes = _class_notes(n_real, n_synth, k, k_used, shrinkage, reasons)
        rows.append({
            "class": c, "n_real": n_real, "n_synthetic": n_synth,
            "consistency": consistency[c], "frechet_distance": frechet[c],
            "density": density, "coverage": coverage,
            "copy_rate": raw[c]["copy_rate"], "copy_rate_baseline": raw[c]["copy_rate_baseline"],
            "variety": raw[c]["variety"], "collapse": bool(reasons), "note": "; ".join(notes),
        })
    report = pd.DataFrame(rows, columns=_REPORT_COLUMNS)
    report.attrs.update({
        "frechet_distance_overall": overall,
        "feature_space": description,
        "k": k, "copy_quantile": copy_quantile, "shrinkage": shrinkage,
        "min_variety": min_variety, "max_copy_rate": max_copy_rate,
        "max_samples": max_samples,
    })
    return report


def _report_features(data: _Data, classifier, feature_extractor, epochs, device, seed):
    """The classifier (trained here unless given), the real and synthetic features and a
    description of the feature space."""
    classifier, description = _classifier_and_description(data, classifier, epochs, device, seed)
    F_real, F_synth, _, fs_description = _feature_space(data, classifier, feature_extractor,
                                                        epochs, device, seed)
    if feature_extractor is not None:
        description = fs_description
    return classifier, F_real, F_synth, description


def _class_notes(n_real: int, n_synth: int, k: int, k_used: int, shrinkage: float,
                 reasons: list[str]) -> list[str]:
    """The caveats of one class's row of the report, then its collapse reasons."""
    notes = []
    if n_synth == 0:
        notes.append("no synthetic rows")
    else:
        if n_real < MIN_REFERENCE_ROWS:
            notes.append(
                f"{n_real} real row{'s' if n_real != 1 else ''} (< {MIN_REFERENCE_ROWS}): "
                "copy threshold and variety measured against the larger classes"
            )
        if n_real < 2:
            notes.append("density and coverage need 2 real rows; " + (
                "Fréchet distance uses the pooled real covariance" if shrinkage > 0
                else "Fréchet distance needs 2 real rows without shrinkage"))
        elif k_used < k:
            notes.append(f"density and coverage with k={k_used}")
    if reasons:
        notes.append("collapse: " + "; ".join(reasons))
    return notes
