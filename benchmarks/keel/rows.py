"""The classifiers and the rows of the KEEL benchmark: a registry, name -> estimator factory.

A row is a factory ``make(classifier, ctx)`` that returns an unfitted scikit-learn classifier
(a plain one, an imbalanced-learn ``Pipeline`` with a sampler, a ``TunedThresholdClassifierCV``
...) for one of the four classifiers, or ``None`` where the row does not apply to it. Adding a
row takes a few lines::

    @row("my row", "What the tables call it")
    def _my_row(clf, ctx):
        return make_pipeline(MySampler(random_state=ctx.seed), make_classifier(clf, ctx.seed))

``available`` hides a row whose code is missing (it is listed as unavailable), ``kinds`` limits
it to numeric, mixed or categorical sets, ``default=False`` runs it only when asked
(``--rows``), and ``budgeted`` marks the rows run under ``CTGAN_BUDGET_SECONDS``.

Samplers run inside :class:`CachedSampler`: a process-wide cache of ``fit_resample`` by the
data's fingerprint, so that the rows of one (set, fold) task that resample the same rows (the
GAN and the GAN + tuned threshold, and the four classifiers of each) fit the sampler once. Each
fit is charged, as if it had run, to every fit that used it: the fit times are those of each
row alone. A sampler that raises leaves its input as it was and the failure is counted.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone

CLASSIFIERS = ["LR", "5-NN", "DT", "HGB"]
THRESHOLD_SPLITS = 5
THRESHOLD_SCORING = "balanced_accuracy"
# --quick only (a smoke test, not a measurement): short GAN training, 2 inner folds, 20
# candidate thresholds (scikit-learn's default is 100).
QUICK_GAN = {"n_steps": 20}
QUICK_SPLITS = 2
QUICK_THRESHOLDS = 20


@dataclass(frozen=True)
class Context:
    """What a row factory may know: the fold's seed, the set's kind and category columns."""

    seed: int
    kind: str = "numeric"
    categorical: tuple = ()
    quick: bool = False


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    make: object
    default: bool = True
    available: object = None
    kinds: frozenset = frozenset({"numeric", "mixed", "categorical"})
    budgeted: bool = False

    def is_available(self):
        return self.available is None or bool(self.available())


ROWS: dict[str, Row] = {}


def row(name, label, **options):
    """Register the decorated factory as the row ``name`` (see the module's docstring)."""
    if "kinds" in options:
        options["kinds"] = frozenset(options["kinds"])

    def register(factory):
        ROWS[name] = Row(name, label, factory, **options)
        return factory

    return register


def default_rows():
    """The rows a run makes unless ``--rows`` names others: the default ones that exist."""
    return [r for r in ROWS.values() if r.default and r.is_available()]


# ---------------------------------------------------------------------- classifiers
def make_classifier(name, seed, class_weight=None):
    """One of ``CLASSIFIERS``; the category columns are one-hot encoded (HGB: native)."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    weight = {} if class_weight is None else {"class_weight": class_weight}
    if name == "HGB":
        return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                              random_state=seed, **weight)
    one_hot = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_include="category")), remainder="passthrough")
    if name == "DT":
        return make_pipeline(one_hot, DecisionTreeClassifier(random_state=seed, **weight))
    model = (LogisticRegression(max_iter=2000, **weight) if name == "LR"
             else KNeighborsClassifier(n_neighbors=5, **weight))
    return make_pipeline(one_hot, StandardScaler(), model)


def has_class_weight(name):
    """Whether classifier ``name`` takes ``class_weight`` (5-NN does not)."""
    final = make_classifier(name, 0)
    final = final.steps[-1][1] if hasattr(final, "steps") else final
    return "class_weight" in final.get_params()


class OneHotFrame(TransformerMixin, BaseEstimator):
    """Category columns as 0/1 float columns (``pd.get_dummies``), for the samplers that take
    numbers only; the columns are those of the training rows."""

    def fit(self, X, y=None):
        self.columns_ = pd.get_dummies(X, dtype=float).columns
        return self

    def transform(self, X):
        return pd.get_dummies(X, dtype=float).reindex(columns=self.columns_, fill_value=0.0)


# ---------------------------------------------------------------------- the sampler cache
_CACHE: dict = {}
LEDGER = {"spent": 0.0, "charged": 0.0, "touched": []}


def clear_cache():
    """Forget every cached resampling (at the start of each task)."""
    _CACHE.clear()
    LEDGER.update(spent=0.0, charged=0.0, touched=[])


def fingerprint(X, y):
    """A digest of the rows, columns and labels."""
    digest = hashlib.sha1()
    if isinstance(X, pd.DataFrame):
        digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
        digest.update(repr(list(X.columns)).encode())
    else:
        digest.update(np.ascontiguousarray(X).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()


class CachedSampler(BaseEstimator):
    """``sampler.fit_resample`` through the process-wide cache (see the module's docstring).

    ``key`` names the sampler and its settings: two samplers with the same key and data share
    one fit. Frames come back with the input's dtypes; a failed fit returns the input.
    """

    def __init__(self, sampler=None, key=""):
        self.sampler = sampler
        self.key = key

    def fit_resample(self, X, y, **params):
        key = (self.key, fingerprint(X, y))
        if key not in _CACHE:
            start, failure = time.perf_counter(), None
            try:
                X_res, y_res = clone(self.sampler, safe=False).fit_resample(X, y)
                if isinstance(X, pd.DataFrame):
                    X_res = pd.DataFrame(X_res, columns=X.columns).astype(X.dtypes.to_dict())
            except Exception as exc:  # noqa: BLE001 - a failed sampler leaves its input
                X_res, y_res, failure = X, y, f"{type(exc).__name__}: {exc}"[:200]
            seconds = time.perf_counter() - start
            LEDGER["spent"] += seconds
            _CACHE[key] = (X_res, np.asarray(y_res), seconds, failure)
        X_res, y_res, seconds, failure = _CACHE[key]
        LEDGER["charged"] += seconds
        LEDGER["touched"].append(key)
        return X_res, y_res


def touched_fits(since):
    """``(seconds, failures)`` of the distinct sampler fits used since ``LEDGER['touched']``
    had ``since`` entries."""
    keys = dict.fromkeys(LEDGER["touched"][since:])
    entries = [_CACHE[k] for k in keys]
    return sum(e[2] for e in entries), [e[3] for e in entries if e[3] is not None]


# ---------------------------------------------------------------------- building blocks
def with_sampler(key, sampler, clf, ctx, numeric_only=False):
    """``sampler`` (cached under ``key``) then classifier ``clf``; a numeric-only sampler sees
    the category columns one-hot encoded."""
    from imblearn.pipeline import Pipeline

    steps = [("onehot", OneHotFrame())] if numeric_only and ctx.kind != "numeric" else []
    steps += [("sampler", CachedSampler(sampler, key)), ("clf", make_classifier(clf, ctx.seed))]
    return Pipeline(steps)


class TunedOrPlain(ClassifierMixin, BaseEstimator):
    """``TunedThresholdClassifierCV(estimator)`` for balanced accuracy on a shuffled stratified
    ``n_splits``-fold split of the training rows, among ``thresholds`` candidates; where it
    refuses (the estimator predicts one class only on a validation fold), the plain
    ``estimator``, and ``fell_back_`` is True."""

    def __init__(self, estimator=None, seed=0, n_splits=THRESHOLD_SPLITS, thresholds=100):
        self.estimator = estimator
        self.seed = seed
        self.n_splits = n_splits
        self.thresholds = thresholds

    def fit(self, X, y):
        from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

        cv = StratifiedKFold(self.n_splits, shuffle=True, random_state=self.seed)
        tuned = TunedThresholdClassifierCV(clone(self.estimator), scoring=THRESHOLD_SCORING,
                                           cv=cv, thresholds=self.thresholds)
        self.fell_back_ = False
        try:
            self.model_ = tuned.fit(X, y)
        except ValueError as exc:
            if "constant predictions" not in str(exc):
                raise
            self.model_, self.fell_back_ = clone(self.estimator).fit(X, y), True
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def gan(ctx, **params):
    from ganbalance import GANOverSampler

    params = {**(QUICK_GAN if ctx.quick else {}), **params}
    return GANOverSampler(random_state=ctx.seed, device="cpu", **params)


class SmoteVariants:
    """smote-variants' samplers behind ``fit_resample`` (they take numpy arrays)."""

    def __init__(self, name, seed):
        self.name, self.seed = name, seed

    def fit_resample(self, X, y):
        import logging

        import smote_variants as sv

        logging.getLogger("smote_variants").setLevel(logging.ERROR)
        sampler = getattr(sv, self.name)(random_state=self.seed)
        X_res, y_res = sampler.sample(np.asarray(X, dtype=np.float64), np.asarray(y))
        return pd.DataFrame(X_res, columns=X.columns), y_res


class MinorityCTGAN:
    """CTGAN trained on the minority rows alone, sampled up to the majority count."""

    def __init__(self, seed):
        self.seed = seed

    def fit_resample(self, X, y):
        import torch
        from ctgan import CTGAN

        np.random.seed(self.seed)  # noqa: NPY002 - CTGAN draws from the global random states
        torch.manual_seed(self.seed)
        minority = np.argmin(np.bincount(y))
        rows = X[y == minority].reset_index(drop=True)
        discrete = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        model = CTGAN(enable_gpu=False)
        model.fit(rows.astype({c: str for c in discrete}), discrete_columns=discrete)
        n_new = int(np.sum(y != minority) - len(rows))
        new = model.sample(n_new).astype(X.dtypes.to_dict())
        X_res = pd.concat([X.reset_index(drop=True), new], ignore_index=True)
        return X_res, np.concatenate([y, np.full(n_new, minority)])


def sampler_row(name, label, make_sampler, numeric_only=False, **options):
    """Register a row that resamples the training rows with ``make_sampler(ctx)``, then fits
    the classifier."""

    @row(name, label, **options)
    def _factory(clf, ctx):
        return with_sampler(name, make_sampler(ctx), clf, ctx, numeric_only)

    return _factory


# ---------------------------------------------------------------------- the rows
@row("none", "No resampling")
def _none(clf, ctx):
    return make_classifier(clf, ctx.seed)


@row("class_weight", "class_weight='balanced'")
def _class_weight(clf, ctx):
    if not has_class_weight(clf):
        return None
    return make_classifier(clf, ctx.seed, class_weight="balanced")


def tuned(model, ctx):
    if ctx.quick:
        return TunedOrPlain(model, ctx.seed, QUICK_SPLITS, QUICK_THRESHOLDS)
    return TunedOrPlain(model, ctx.seed)


@row("threshold", "No resampling + tuned threshold")
def _threshold(clf, ctx):
    return tuned(make_classifier(clf, ctx.seed), ctx)


@row("GAN + threshold", "GANOverSampler + tuned threshold")
def _gan_threshold(clf, ctx):
    return tuned(with_sampler("GAN", gan(ctx), clf, ctx), ctx)


def _imblearn(cls_name, **params):
    def make(ctx):
        import imblearn.over_sampling as over

        return getattr(over, cls_name)(random_state=ctx.seed, **params)

    return make


sampler_row("ROS", "RandomOverSampler", _imblearn("RandomOverSampler"))
sampler_row("SMOTE", "SMOTE", _imblearn("SMOTE"), numeric_only=True)
sampler_row("BorderlineSMOTE", "BorderlineSMOTE", _imblearn("BorderlineSMOTE"),
            numeric_only=True)
sampler_row("ADASYN", "ADASYN", _imblearn("ADASYN"), numeric_only=True)
sampler_row("SMOTENC", "SMOTENC (mixed sets)",
            lambda ctx: _imblearn("SMOTENC", categorical_features=list(ctx.categorical))(ctx),
            kinds={"mixed"})
sampler_row("SMOTEN", "SMOTEN (all-categorical sets)", _imblearn("SMOTEN"),
            kinds={"categorical"})
sampler_row("ProWSyn", "ProWSyn (smote-variants)",
            lambda ctx: SmoteVariants("ProWSyn", ctx.seed), numeric_only=True)
sampler_row("polynom_fit_SMOTE_star", "polynom_fit_SMOTE_star (smote-variants)",
            lambda ctx: SmoteVariants("polynom_fit_SMOTE_star", ctx.seed), numeric_only=True)
sampler_row("CTGAN", "CTGAN (minority rows)", lambda ctx: MinorityCTGAN(ctx.seed),
            budgeted=True)
sampler_row("GAN", "GANOverSampler", gan)
sampler_row("GAN per_class", "GANOverSampler, mode='per_class'",
            lambda ctx: gan(ctx, mode="per_class"), default=False)


def _has_oscv():
    import ganbalance

    return hasattr(ganbalance, "OverSampledClassifierCV")


def oscv(clf, sampler, ctx):
    """ganbalance's ``OverSampledClassifierCV`` (being written) around classifier ``clf``:
    seeded with the fold's seed and, with ``--quick``, 2 inner folds, where it takes them."""
    import inspect

    from ganbalance import OverSampledClassifierCV

    accepts = inspect.signature(OverSampledClassifierCV).parameters
    extra = {"random_state": ctx.seed, **({"cv": QUICK_SPLITS} if ctx.quick else {})}
    return OverSampledClassifierCV(estimator=make_classifier(clf, ctx.seed), sampler=sampler,
                                   **{k: v for k, v in extra.items() if k in accepts})


@row("OSCV GAN", "OverSampledClassifierCV(GANOverSampler)", available=_has_oscv)
def _oscv_gan(clf, ctx):
    return oscv(clf, gan(ctx), ctx)


@row("OSCV SMOTE", "OverSampledClassifierCV(SMOTE)", available=_has_oscv)
def _oscv_smote(clf, ctx):
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline

    model = oscv(clf, SMOTE(random_state=ctx.seed), ctx)
    return model if ctx.kind == "numeric" else make_pipeline(OneHotFrame(), model)
