"""OverSampledClassifierCV: over-sample by the amount that cross-validation picks, and predict
probabilities that mean what they say."""

from __future__ import annotations

import numbers

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._oversampled_folds import (
    DECISIONS,
    Answers,
    best_index,
    check_ratios,
    check_thresholds,
    check_X_shape,
    class_counts,
    correct,
    decide,
    fit_fold,
    fold_answers,
    new_rows,
    refit,
    splits,
    tune_threshold,
)
from ._random import draw_seed
from ._training import restore_on_error
from ._warnings import warn_at_caller
from .over_sampler import GANOverSampler

__all__ = ["OverSampledClassifierCV"]


class OverSampledClassifierCV(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Over-sample by the amount that cross-validation picks; predict honest probabilities.

    Over-sampling to a 1:1 balance makes a classifier's probabilities overstate the minority
    classes, and "up to the majority count" is rarely the best amount. This meta-estimator
    does three things:

    1. **Chooses the amount.** An inner stratified CV scores each ratio of ``ratios`` by
       ``scoring``: in each fold the sampler is fitted once, at the largest amount, and every
       smaller amount keeps the original rows plus a (nested, seeded random) subset of the new
       rows of each class. The estimator is then refitted on all the data, over-sampled by the
       best ratio.
    2. **Corrects the probabilities** back to the class frequencies of the data given to
       :meth:`fit`, by the prior-shift correction (Elkan 2001; Saerens et al. 2002):
       ``p'(c|x) ∝ p(c|x) * prior[c] / resampled_prior[c]``, renormalised.
       :meth:`predict_proba` returns ``p'``.
    3. **Decides by the rule you choose** (``decision``).

    A *ratio* r adds ``round(r * (n_max - n_c))`` rows to each class c (``n_c`` its count,
    ``n_max`` the largest class's): the fraction r of its gap to the largest class, the same
    fraction for every class. 0 adds nothing; 1 balances every class with the largest, as
    imbalanced-learn's ``sampling_strategy='auto'`` does.

    Read more in the :doc:`user guide </user_guide/calibrated>`.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier with ``predict_proba`` (a Pipeline, a
        :class:`~ganbalance.TorchClassifier`, ...). Cloned, never fitted in place.

    sampler : imbalanced-learn over-sampler, default=None
        Any over-sampler with a ``sampling_strategy`` parameter (``SMOTE``,
        ``RandomOverSampler``, ...); ``None`` uses ``GANOverSampler()``. Cloned; its
        ``sampling_strategy`` is replaced by the amounts the ratios ask for.

    ratios : array-like of float >= 0, default=(0.0, 0.5, 1.0)
        The amounts to choose from, as fractions of each class's gap to the largest class
        (above). Keep 0 in, so that "no new rows" can win. Ties go to the smaller ratio.

    scoring : str, callable or None, default='balanced_accuracy'
        What the inner CV maximises: a scorer name or a ``scorer(estimator, X, y)`` callable,
        as in :class:`~sklearn.model_selection.GridSearchCV`; ``None`` is accuracy. It scores
        the model as a whole: the corrected probabilities and the ``decision`` rule's labels.
        (A callable gets a stand-in classifier that answers ``predict``, ``predict_proba``,
        ``predict_log_proba`` and ``score`` for the validation rows.) With
        ``decision='threshold'`` it must read the predicted labels (e.g. ``'f1'``).

    decision : {'balanced', 'most_probable', 'threshold'}, default='balanced'
        How :meth:`predict` turns probabilities into labels:

        - ``'balanced'``: the class c of largest ``p'(c|x) / prior[c]``, the best decision
          when every class counts equally (balanced accuracy). At ratio 1 it is the argmax of
          the over-sampled model's own probabilities, the usual behaviour of over-sampling.
        - ``'most_probable'``: the argmax of :meth:`predict_proba` (best for accuracy).
        - ``'threshold'``: ``classes_[1]`` where ``predict_proba(X)[:, 1] >=
          best_threshold_``, a threshold tuned by the same inner CV for ``scoring``, jointly
          with the ratio, as :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
          does. Binary ``y`` only.

    thresholds : int or array-like, default=100
        With ``decision='threshold'``: the number of thresholds tried per ratio, evenly
        spaced between the least and the largest validation probability, or the thresholds
        themselves. Ignored otherwise.

    cv : int, cross-validation generator or iterable, default=3
        The inner CV, as in :func:`~sklearn.model_selection.check_cv`: an int is a
        :class:`~sklearn.model_selection.StratifiedKFold` with that many folds. Every training
        fold must hold every class.

    n_jobs : int, default=None
        Folds fitted in parallel (joblib). ``None`` means 1; results do not depend on it.

    random_state : int, RandomState, Generator or None, default=None
        Seeds every ``random_state`` parameter of the sampler and the estimator (nested ones
        included) that is ``None``, per fold and for the refit, and the choice of the subsets.
        Those you set are kept. The same int gives bit-identical results on CPU.

    Attributes
    ----------
    estimator_ : classifier
        The estimator fitted on all the data, over-sampled by ``best_ratio_``.

    sampler_ : sampler or None
        The sampler fitted on all the data; ``None`` when ``best_ratio_`` adds no row.

    best_ratio_ : float
        The ratio chosen.

    best_score_ : float
        Its mean inner-CV score.

    best_threshold_ : float or None
        The tuned threshold on ``predict_proba(X)[:, 1]`` (``decision='threshold'``), else
        None.

    cv_results_ : dict of ndarray
        One entry per ratio, in increasing order: ``'ratio'``, ``'n_new_samples'`` (rows
        the ratio adds to all the data), ``'split<i>_test_score'``, ``'mean_test_score'``,
        ``'std_test_score'``, ``'rank_test_score'`` and, with ``decision='threshold'``,
        ``'threshold'`` (each ratio's best threshold, at which its scores are given).

    sampling_strategy_ : dict
        Number of new rows of each class in the refit.

    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the ``y`` given to :meth:`fit`.

    resampled_class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the over-sampled data ``estimator_`` was fitted on.

    n_sampler_fits_ : int
        Times the sampler was fitted, the refit included: one per fold (plus the refit)
        when it returns the input rows first, unchanged, then the new ones; else one per
        fold and ratio that adds rows.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    n_features_in_ : int
        Number of features seen by ``estimator_``, when it says.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Their names, when ``estimator_`` has them.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : Tune the decision threshold alone.
    imblearn.ensemble.BalancedBaggingClassifier : Bagging over resampled subsets.
    GANOverSampler : The default sampler.

    Notes
    -----
    Cost: ``cv + 1`` sampler fits (when one fit serves every ratio) and ``cv * len(ratios) +
    1`` estimator fits. The correction assumes that over-sampling changed the class
    frequencies, not what each class looks like; the generated rows only approximate that.

    References
    ----------
    C. Elkan, "The foundations of cost-sensitive learning", IJCAI 2001.
    M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the outputs of a classifier to new
    a priori probabilities: a simple procedure", Neural Computation 14(1), 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.over_sampling import SMOTE
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from ganbalance import OverSampledClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> y = 1 - y                                      # 1: malignant
    >>> keep = (y == 0) | (np.cumsum(y) <= 40)         # 357 benign, 40 malignant
    >>> X, y = X[keep], y[keep]
    >>> clf = OverSampledClassifierCV(make_pipeline(StandardScaler(), LogisticRegression()),
    ...                               sampler=SMOTE(), decision="most_probable",
    ...                               random_state=0).fit(X, y)
    >>> clf.cv_results_["ratio"], clf.best_ratio_
    (array([0. , 0.5, 1. ]), 0.5)
    >>> clf.sampling_strategy_                         # new rows per class in the refit
    {0: 0, 1: 159}
    >>> # mean probability of malignant: the base rate, the over-sampled model's, corrected
    >>> [round(float(p), 3) for p in (y.mean(), clf.estimator_.predict_proba(X)[:, 1].mean(),
    ...                               clf.predict_proba(X)[:, 1].mean())]
    [0.101, 0.112, 0.094]
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "sampler": [HasMethods(["fit_resample"]), None],
        "ratios": ["array-like"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "decision": [StrOptions(set(DECISIONS))],
        "thresholds": [Interval(numbers.Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, estimator, *, sampler=None, ratios=(0.0, 0.5, 1.0),
                 scoring="balanced_accuracy", decision="balanced", thresholds=100, cv=3,
                 n_jobs=None, random_state=None):
        self.estimator = estimator
        self.sampler = sampler
        self.ratios = ratios
        self.scoring = scoring
        self.decision = decision
        self.thresholds = thresholds
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator and sampler: by them
    def fit(self, X, y):
        """Choose the ratio by the inner CV, then refit on all the data over-sampled by it.

        Every input is checked before any training; if anything raises, the estimator is
        left exactly as it was.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            The training data, as the sampler and the estimator accept it.
        y : array-like of shape (n_samples,)
            Class labels, two classes or more.

        Returns
        -------
        self : OverSampledClassifierCV
            The fitted estimator.
        """
        with restore_on_error(self):
            plan = self._plan(X, y)
            X, y, classes, seed = plan["X"], plan["y"], plan["classes"], plan["seed"]
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(fit_fold)(self.estimator, plan["sampler"], X, y, train, test,
                                  classes, plan["ratios"], seed, fold)
                for fold, (train, test) in enumerate(plan["splits"], start=1))
            results = self._cv_results(plan, folds)
            best = best_index(results["mean_test_score"])
            ratio = float(plan["ratios"][best])
            threshold = results["threshold"][best] if self.decision == "threshold" else None
            fitted = refit(self.estimator, plan["sampler"], X, y, classes, ratio, seed)
            fitted.update(best_ratio_=ratio, best_score_=float(results["mean_test_score"][best]),
                          best_threshold_=None if threshold is None else float(threshold),
                          cv_results_=results, classes_=classes,
                          n_sampler_fits_=sum(f["sampler_fits"] for f in folds)
                          + (fitted["sampler_"] is not None))
            self._commit(fitted)
        return self

    def _plan(self, X, y):
        """Check every input (before any training); return what the fit needs."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None.")
        X, y = indexable(X, y)
        check_X_shape(X)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        classes = np.unique(y)
        if kind not in ("binary", "multiclass") or len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs y of at least 2 classes (binary or "
                             f"multiclass); got {len(classes)} class(es), {kind!r}.")
        if self.decision == "threshold" and len(classes) != 2:
            raise ValueError(
                "Only binary classification is supported with decision='threshold', which "
                "tunes a threshold on the probability of classes_[1]; the type of the target "
                f"is {kind} ({len(classes)} classes). Use decision='balanced' or "
                "'most_probable'.")
        plan = {"X": X, "y": y, "classes": classes, "ratios": check_ratios(self.ratios),
                "thresholds": check_thresholds(self.thresholds),
                "sampler": self._check_sampler(), "splits": splits(self.cv, X, y, classes),
                "scorer": self._check_scorer(X, y, classes)}
        plan["seed"] = draw_seed(self.random_state)
        return plan

    def _check_sampler(self):
        sampler = GANOverSampler() if self.sampler is None else self.sampler
        if "sampling_strategy" not in sampler.get_params(deep=False):
            raise TypeError(f"sampler must take a sampling_strategy parameter, as imbalanced-"
                            f"learn's over-samplers do; {type(sampler).__name__} has none.")
        kind = getattr(sampler, "_sampling_type", "over-sampling")
        if kind != "over-sampling":
            raise ValueError(f"sampler must be an over-sampler; {type(sampler).__name__} is "
                             f"{kind!r}.")
        if sampler.get_params(deep=False)["sampling_strategy"] != "auto":
            warn_at_caller(f"The sampler's sampling_strategy is ignored: {type(self).__name__} "
                           "sets it from ratios.", UserWarning)
        return sampler

    def _check_scorer(self, X, y, classes):
        """The scorer, tried on perfect answers for ``y`` (a scorer that cannot score this y
        fails here, before training)."""
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        probe = Answers(classes, (y[:, None] == classes).astype(float), y)
        try:
            value = scorer(probe, X, y)
        except Exception as exc:
            raise ValueError(f"scoring={self.scoring!r} cannot score this y: {exc}") from exc
        if not isinstance(value, numbers.Real):
            raise ValueError(f"scoring must give one number; scoring={self.scoring!r} gave "
                             f"{type(value).__name__}.")
        if self.decision == "threshold" and "predict" not in probe.calls:
            raise ValueError(
                f"decision='threshold' tunes the threshold for scoring={self.scoring!r}, which "
                "reads no predicted labels (only probabilities), so every threshold scores the "
                "same. Use a label metric such as 'balanced_accuracy' or 'f1'.")
        return scorer

    def _cv_results(self, plan, folds):
        """``cv_results_``: every ratio's scores on every validation fold."""
        X, y, classes, ratios = plan["X"], plan["y"], plan["classes"], plan["ratios"]
        tests = [(_safe_indexing(X, test), y[test]) for _, test in plan["splits"]]
        results = {"ratio": ratios,
                   "n_new_samples": np.array([new_rows(class_counts(y, classes), r).sum()
                                              for r in ratios])}
        scores, best_thresholds = [], []
        for j in range(len(ratios)):
            answers = [fold_answers(fold, j) for fold in folds]
            if self.decision == "threshold":
                fold_scores, threshold = tune_threshold(plan["scorer"], answers, tests,
                                                         classes, plan["thresholds"])
                best_thresholds.append(threshold)
            else:
                fold_scores = [plan["scorer"](Answers(classes, c, decide(
                    p, c, rp, classes, self.decision)), X_test, y_test)
                    for (p, c, rp), (X_test, y_test) in zip(answers, tests, strict=True)]
            scores.append(fold_scores)
        scores = np.asarray(scores, dtype=float)
        for i in range(scores.shape[1]):
            results[f"split{i}_test_score"] = scores[:, i]
        results["mean_test_score"] = scores.mean(axis=1)
        results["std_test_score"] = scores.std(axis=1)
        finite = np.where(np.isfinite(results["mean_test_score"]),
                          results["mean_test_score"], -np.inf)
        results["rank_test_score"] = rankdata(-finite, method="min").astype(np.int32)
        if self.decision == "threshold":
            results["threshold"] = np.asarray(best_thresholds, dtype=float)
        return results

    def _commit(self, fitted):
        """Assign the fitted attributes (only once everything succeeded)."""
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(fitted["estimator_"], name):
                fitted[name] = getattr(fitted["estimator_"], name)
            elif name in vars(self):
                delattr(self, name)  # from an earlier fit on other data
        for name, value in fitted.items():
            setattr(self, name, value)

    def predict_proba(self, X):
        """Class probabilities, corrected back to the class frequencies of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``p'(c|x)``, in the order of ``classes_``; each row sums to 1.
        """
        check_is_fitted(self)
        proba = self.estimator_.predict_proba(X)
        return correct(proba, self.class_prior_ / self.resampled_class_prior_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log p'(c|x)``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Labels by the ``decision`` rule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        proba = self.estimator_.predict_proba(X)
        corrected = correct(proba, self.class_prior_ / self.resampled_class_prior_)
        return decide(proba, corrected, self.resampled_class_prior_, self.classes_,
                      self.decision, self.best_threshold_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = self.decision != "threshold"
        estimator = get_tags(self.estimator).input_tags
        sampler = get_tags(GANOverSampler() if self.sampler is None else self.sampler)
        tags.input_tags.sparse = estimator.sparse and sampler.input_tags.sparse
        tags.input_tags.allow_nan = estimator.allow_nan and sampler.input_tags.allow_nan
        tags.non_deterministic = False
        return tags

