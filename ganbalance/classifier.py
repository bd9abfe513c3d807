"""A scikit-learn classifier that trains any :class:`torch.nn.Module`."""

from __future__ import annotations

import copy
import inspect
import logging
import time
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from torch import nn
from tqdm.auto import tqdm

from ._device import load_device, resolve_device
from ._random import child_seed, draw_seed, torch_rng_scope
from ._training import restore_on_error, tensors_to_cpu
from ._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_numeric_dtype,
    check_verbose,
)
from .persistence import SaveMixin

__all__ = ["TorchClassifier"]

logger = logging.getLogger(__name__)

_PREFIXES = ("module__", "optimizer__", "criterion__")
# Names a module class or factory may declare to receive them from the data.
_AUTO_MODULE_ARGS = ("n_features", "n_classes", "image_shape")
# Keys of the seeds derived from the one drawn per fit (see _random.child_seed).
_SEED_INIT, _SEED_SPLIT, _SEED_SHUFFLE, _SEED_DROPOUT = 0, 1, 2, 3
# The key of older pickles, which held a torch.save blob that only an unrestricted
# torch.load could read.
_LEGACY_PICKLE_KEY = "_ganbalance_torch_state"


class TorchClassifier(SaveMixin, ClassifierMixin, BaseEstimator):
    """Train a :class:`torch.nn.Module` as a scikit-learn / imbalanced-learn classifier.

    The wrapped network maps a batch of samples to logits of shape ``(batch, n_classes)``;
    :meth:`predict_proba` is their softmax and :meth:`predict` the most probable class. Labels
    may be anything scikit-learn accepts (ints, strings, -1/+1): they are encoded to
    ``0 .. n_classes - 1`` in the order of ``classes_`` before they reach the criterion.

    Parameters
    ----------
    module : type, callable or torch.nn.Module
        The network, as

        - an :class:`~torch.nn.Module` subclass or any callable returning a module (a
          factory), built at each :meth:`fit` with the ``module__*`` parameters. If its
          signature names ``n_classes``, ``n_features`` or ``image_shape``, and no
          ``module__`` parameter sets them, they are filled in from the data: the number of
          classes, the number of columns of ``X`` and the ``image_shape`` parameter (when not
          None). Only names in the signature are filled, never through ``**kwargs``. So
          ``SmallCNN`` gets ``SmallCNN(n_classes=..., image_shape=(C, H, W))`` and ``MLP``
          gets ``MLP(n_features=..., n_classes=...)``.
        - an :class:`~torch.nn.Module` instance, deep-copied at each :meth:`fit` so that
          refits start from the same weights and the instance passed in is never changed.
          ``module__*`` parameters are then not allowed.
    criterion : type, callable or torch.nn.Module, default=torch.nn.CrossEntropyLoss
        The loss, called as ``criterion(logits, targets)`` with ``targets`` the encoded class
        indices (int64). A class or factory is called with the ``criterion__*`` parameters
        (and ``weight=`` when ``class_weight`` is set); an instance is deep-copied.
    optimizer : type or callable, default=torch.optim.Adam
        Called as ``optimizer(module.parameters(), lr=lr, **optimizer__*)``.
    lr : float, default=1e-3
        Learning rate, > 0. An ``optimizer__lr`` parameter, if given, takes its place (as in
        skorch).
    max_epochs : int, default=10
        Passes over the training data in :meth:`fit` (fewer when early stopping ends it).
    batch_size : int, default=64
        Mini-batch size for training and for prediction. A value larger than the data is
        clamped to it: the whole set is then one batch, and no memory is set aside for more.
    image_shape : tuple of int (C, H, W) or None, default=None
        When given, each row of ``X`` is reshaped to ``(C, H, W)`` before it reaches the
        module, and ``C * H * W`` must equal the number of columns of ``X``.
    device : str, default='auto'
        'auto' (CUDA when available, else the CPU), 'cpu', 'cuda' or 'cuda:N'.
    class_weight : None, 'balanced' or dict, default=None
        Per-class weights given to the criterion as ``weight=`` (so it must accept one, as
        :class:`~torch.nn.CrossEntropyLoss` does). A dict maps labels to weights (missing
        labels get 1); 'balanced' uses ``n_samples / (n_classes * np.bincount(y))``.
    validation_fraction : float in (0, 1) or None, default=None
        Fraction of the training data held out (stratified where possible) to score each epoch;
        ``valid_loss`` and ``valid_acc`` then appear in ``history_``.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience`` epochs, and restore the
        weights of the best epoch. Needs ``validation_fraction``.
    patience : int, default=5
        Epochs without improvement of the validation loss before early stopping.
    random_state : int, RandomState, Generator or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split. With an int,
        refits on the CPU are bit-identical. The global numpy and torch generators are never
        used or changed.
    verbose : int, default=0
        0 is silent; > 0 shows a tqdm progress bar over epochs with the losses.
    **kwargs
        Parameters of the module, criterion and optimizer with the prefixes ``module__``,
        ``criterion__`` and ``optimizer__``, for example ``module__hidden=128`` or
        ``optimizer__weight_decay=1e-4``. They are visible to :meth:`get_params` and
        :meth:`set_params`, so :func:`~sklearn.base.clone` and
        :class:`~sklearn.model_selection.GridSearchCV` handle them.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network, left in eval mode after training.
    criterion_ : torch.nn.Module or callable
        The loss used for training.
    optimizer_ : torch.optim.Optimizer
        The optimizer, with its state after the last epoch.
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the order of the module's outputs.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names seen in :meth:`fit`, when ``X`` was a DataFrame with string column names.
    history_ : list of dict
        One dict per epoch with ``epoch``, ``train_loss``, ``train_acc``, ``dur`` (seconds) and,
        with a validation fraction, ``valid_loss`` and ``valid_acc``.
    n_epochs_ : int
        Number of epochs trained so far (by :meth:`fit` and later :meth:`partial_fit` calls).
    best_epoch_ : int or None
        With a validation fraction, the epoch with the lowest validation loss; else None.
    device_ : str
        The device the module lives on, e.g. 'cpu' or 'cuda:0'.
    seed_ : int
        The seed drawn from ``random_state`` when the module was initialised.

    See Also
    --------
    ganbalance.models.SmallCNN : The seed-001 CNN for images.
    ganbalance.models.MLP : A multi-layer perceptron for tabular rows.

    Notes
    -----
    **Why not a skorch subclass.** skorch's ``NeuralNetClassifier`` is the established
    wrapper, and ``GANOverSampler`` works just as well in front of one. ganbalance does not
    build on it for three reasons. First, ganbalance's estimators promise that
    ``random_state`` alone makes a fit reproducible and that the global numpy and torch
    generators are left alone; skorch has no ``random_state`` and relies on the user seeding
    torch globally. Second, this class passes scikit-learn's ``check_estimator`` except
    ``check_dtype_object``, which fails by design because object-dtype ``X`` is refused
    rather than parsed. skorch does not run these checks: its ``__init__`` sets fitted-style
    attributes (``history_``, ``initialized_``), it holds out 20% of ``X`` for validation
    by default, and its ``partial_fit`` runs ``max_epochs`` epochs where scikit-learn's
    convention is one pass. Third, ganbalance depends only on torch, numpy, scikit-learn,
    imbalanced-learn and tqdm; skorch's callbacks, datasets and history objects would be a
    large dependency for the small part used here. The parameter names (``module``,
    ``criterion``, ``optimizer``, ``lr``, ``max_epochs``, ``batch_size``, ``device``, the
    double-underscore prefixes) and the fitted ``module_``, ``optimizer_``, ``criterion_``
    and ``history_`` follow skorch, so moving between the two is easy.

    **Determinism.** One seed is drawn from ``random_state`` per :meth:`fit`; weight
    initialisation, the validation split, and each epoch's shuffling and dropout use seeds
    derived from it, inside :func:`torch.random.fork_rng`. So ``fit`` with ``max_epochs=k``
    (and no validation split) trains exactly as one :meth:`partial_fit` call with
    ``classes`` followed by ``k - 1`` more. On CUDA, results may still vary in the last bits
    unless torch's deterministic algorithms are enabled.

    **Failed fits.** :meth:`fit` and :meth:`partial_fit` train new objects (a copy, for
    ``partial_fit``) and assign the fitted attributes only when training has succeeded; a call
    that raises, for whatever reason, leaves the estimator exactly as it was.

    **Saving.** :meth:`save` writes a file that :func:`ganbalance.load` reads without running
    any code from it (see :doc:`/user_guide/persistence`). Pickles hold plain CPU state
    dicts, and unpickling never calls ``torch.load``; but unpickle only files you trust. A
    model trained on CUDA loads onto the CPU on a machine without CUDA (``device_`` then reads
    'cpu').

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.classifier import TorchClassifier
    >>> from ganbalance.models import MLP
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)).astype("float32")
    >>> y = np.where(X[:, 0] > 0, "pos", "neg")
    >>> clf = TorchClassifier(MLP, module__hidden=8, lr=0.05, max_epochs=2, device="cpu",
    ...                       random_state=0).fit(X, y)
    >>> clf.classes_
    array(['neg', 'pos'], dtype='<U3')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> len(clf.history_)
    2
    """

    def __init__(self, module, *, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
                 lr=1e-3, max_epochs=10, batch_size=64, image_shape=None, device="auto",
                 class_weight=None, validation_fraction=None, early_stopping=False, patience=5,
                 random_state=None, verbose=0, **kwargs):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.image_shape = image_shape
        self.device = device
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        # Checked in fit, as scikit-learn asks: __init__ only stores what it is given.
        self._extra_params = dict(kwargs)

    # ------------------------------------------------------------------ parameters

    def get_params(self, deep=True):
        """Get parameters, including the prefixed ``module__``, ``criterion__`` and
        ``optimizer__`` ones.

        Parameters
        ----------
        deep : bool, default=True
            Passed on to :meth:`sklearn.base.BaseEstimator.get_params`.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(getattr(self, "_extra_params", {}))
        return params

    def set_params(self, **params):
        """Set parameters; prefixed ones (``module__hidden=...``) may be new.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : TorchClassifier
            This estimator.
        """
        extra = getattr(self, "_extra_params", {})
        prefixed = {k: v for k, v in params.items() if k.startswith(_PREFIXES) or k in extra}
        plain = {k: v for k, v in params.items() if k not in prefixed}
        if plain:
            super().set_params(**plain)
        if prefixed:
            self._extra_params = {**extra, **prefixed}
        return self

    def _params_for(self, prefix: str) -> dict:
        prefix = prefix + "__"
        return {k[len(prefix):]: v for k, v in self._extra_params.items()
                if k.startswith(prefix)}

    def _check_params(self) -> dict:
        """Validate every parameter; return the resolved values. Changes nothing."""
        _check_prefixed_names(self._extra_params, type(self).__name__)
        module = self.module
        if not (isinstance(module, nn.Module) or callable(module)):
            raise TypeError(
                "module must be an nn.Module subclass, a callable returning an nn.Module, or an "
                f"nn.Module instance; got {type(module).__name__}."
            )
        if isinstance(module, nn.Module) and self._params_for("module"):
            raise ValueError(
                "module__* parameters "
                f"({', '.join(sorted('module__' + k for k in self._params_for('module')))}) "
                "need module to be a class or factory; got an nn.Module instance."
            )
        criterion = self.criterion
        if not (isinstance(criterion, nn.Module) or callable(criterion)):
            raise TypeError(
                "criterion must be a loss class, a callable or an nn.Module instance; got "
                f"{type(criterion).__name__}."
            )
        if isinstance(criterion, nn.Module):
            if self._params_for("criterion"):
                raise ValueError(
                    "criterion__* parameters need criterion to be a class or factory; got an "
                    "instance."
                )
            if self.class_weight is not None:
                raise ValueError(
                    "class_weight needs criterion to be a class or factory that accepts "
                    "weight=; got a criterion instance."
                )
        if isinstance(self.optimizer, torch.optim.Optimizer) or not callable(self.optimizer):
            raise TypeError(
                "optimizer must be an optimizer class or a callable taking (params, lr=...); "
                f"got {type(self.optimizer).__name__}."
            )
        optimizer_params = self._params_for("optimizer")
        if "params" in optimizer_params:
            raise ValueError("optimizer__params is not allowed: the module's parameters are "
                             "passed to the optimizer.")
        lr = optimizer_params.get("lr", self.lr)
        lr = check_float(lr, "optimizer__lr" if "lr" in optimizer_params else "lr",
                         low=0.0, low_inclusive=False)
        max_epochs = check_int(self.max_epochs, "max_epochs", minimum=1)
        batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        patience = check_int(self.patience, "patience", minimum=1)
        verbose = check_verbose(self.verbose)
        image_shape = check_image_shape(self.image_shape)
        device = resolve_device(self.device)
        fraction = self._check_weights_and_validation()
        return {"lr": lr, "max_epochs": max_epochs, "batch_size": batch_size,
                "patience": patience, "verbose": verbose, "image_shape": image_shape,
                "device": device, "validation_fraction": fraction}

    def _check_weights_and_validation(self):
        """Check class_weight, validation_fraction and early_stopping; the fraction."""
        class_weight = self.class_weight
        if not (class_weight is None or isinstance(class_weight, Mapping)
                or (isinstance(class_weight, str) and class_weight == "balanced")):
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict; got {class_weight!r}."
            )
        if class_weight is not None and "weight" in self._params_for("criterion"):
            raise ValueError("Pass class weights either as class_weight or as "
                             "criterion__weight, not both.")
        fraction = self.validation_fraction
        if fraction is not None:
            fraction = check_float(fraction, "validation_fraction", low=0.0, high=1.0,
                                   low_inclusive=False)
            if fraction >= 1.0:
                raise ValueError(f"validation_fraction must be < 1; got {fraction}.")
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise TypeError(
                f"early_stopping must be a bool; got {type(self.early_stopping).__name__}."
            )
        if self.early_stopping and fraction is None:
            raise ValueError("early_stopping=True needs validation_fraction (e.g. 0.1) to "
                             "hold out the data it monitors.")
        return fraction

    # ------------------------------------------------------------------ data

    def _validate_X(self, X):
        # Complex data is left to validate_data, which raises the ValueError scikit-learn
        # expects; check_numeric_dtype refuses object and string data first, which
        # validate_data would otherwise parse silently.
        if getattr(getattr(X, "dtype", None), "kind", None) != "c":
            check_numeric_dtype(X, "X")
        return X

    def _validate_fit_data(self, X, y, reset: bool = True):
        X = self._validate_X(X)
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float32)
        check_classification_targets(y)
        return X, y

    def _to_tensor(self, X: np.ndarray, image_shape) -> torch.Tensor:
        X_t = torch.from_numpy(X) if X.flags.writeable else torch.tensor(X)
        if image_shape is not None:
            X_t = X_t.reshape(X_t.shape[0], *image_shape)
        return X_t

    # ------------------------------------------------------------------ initialisation

    def _build_module(self, n_features: int, n_classes: int, image_shape):
        if isinstance(self.module, nn.Module):
            return copy.deepcopy(self.module)
        kwargs = self._params_for("module")
        names, has_var_kw = _signature_names(self.module)
        auto = {"n_features": n_features, "n_classes": n_classes, "image_shape": image_shape}
        for name in _AUTO_MODULE_ARGS:
            if name in names and name not in kwargs and auto[name] is not None:
                kwargs[name] = auto[name]
        if names is not None and not has_var_kw:
            unknown = sorted(set(kwargs) - names)
            if unknown:
                raise TypeError(
                    f"module {_name_of(self.module)} does not accept "
                    f"{', '.join('module__' + k for k in unknown)}."
                )
        module = self.module(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"module {_name_of(self.module)} returned {type(module).__name__}, not an "
                "nn.Module."
            )
        return module

    def _build_criterion(self, class_weight: torch.Tensor | None):
        criterion = self.criterion
        if isinstance(criterion, nn.Module):
            return copy.deepcopy(criterion)
        kwargs = self._params_for("criterion")
        if class_weight is not None:
            names, has_var_kw = _signature_names(criterion)
            if names is not None and "weight" not in names and not has_var_kw:
                raise ValueError(
                    f"class_weight needs a criterion that accepts weight=; "
                    f"{_name_of(criterion)} does not."
                )
            kwargs["weight"] = class_weight
        return criterion(**kwargs)

    def _class_weight_tensor(self, classes, y_labels, device):
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, Mapping):
            unknown = [k for k in self.class_weight if k not in set(classes.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight has labels {unknown!r} that are not among the classes "
                    f"{classes.tolist()!r}."
                )
            weights = np.array([float(self.class_weight.get(c, 1.0)) for c in classes.tolist()])
        else:
            weights = compute_class_weight(self.class_weight, classes=classes, y=y_labels)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"class_weight must give finite weights >= 0; got {weights}.")
        return torch.as_tensor(weights, dtype=torch.float32, device=device)

    def _build_optimizer(self, module, lr: float):
        kwargs = self._params_for("optimizer")
        kwargs["lr"] = lr
        return self.optimizer(module.parameters(), **kwargs)

    def _new_run(self, cfg: dict, classes, y_labels, n_features: int, seed: int) -> _Run:
        """A fresh module, criterion and optimizer, held in a _Run: ``self`` is not changed."""
        device = cfg["device"]
        weight = self._class_weight_tensor(classes, y_labels, device)
        with torch_rng_scope(child_seed(seed, _SEED_INIT), device):
            module = self._build_module(n_features, len(classes), cfg["image_shape"]).to(device)
            criterion = self._build_criterion(weight)
            if isinstance(criterion, nn.Module):
                criterion = criterion.to(device)
            optimizer = self._build_optimizer(module, cfg["lr"])
        return _Run(module=module, criterion=criterion, optimizer=optimizer, classes=classes,
                    device=str(device), seed=seed, weight=weight)

    def _continued_run(self) -> _Run:
        """A deep copy of the fitted state, for partial_fit to train while ``self`` stays."""
        # One deepcopy call, so that the copied optimizer drives the copied parameters.
        module, criterion, optimizer = copy.deepcopy(
            (self.module_, self.criterion_, self.optimizer_))
        return _Run(module=module, criterion=criterion, optimizer=optimizer,
                    classes=self.classes_, device=self.device_, seed=self.seed_,
                    weight=self._criterion_weight, history=list(self.history_),
                    n_epochs=self.n_epochs_, best_epoch=self.best_epoch_)

    def _fitted_run(self) -> _Run:
        """The fitted state as a _Run (no copy)."""
        return _Run(module=self.module_, criterion=self.criterion_, optimizer=self.optimizer_,
                    classes=self.classes_, device=self.device_, seed=self.seed_,
                    weight=self._criterion_weight, history=self.history_,
                    n_epochs=self.n_epochs_, best_epoch=self.best_epoch_)

    def _commit(self, run: _Run) -> None:
        """Assign a trained _Run's state to the fitted attributes: the last step of a fit."""
        self.module_ = run.module.eval()
        self.criterion_ = run.criterion
        self.optimizer_ = run.optimizer
        self.classes_ = run.classes
        self.device_ = run.device
        self.seed_ = run.seed
        self.history_ = run.history
        self.n_epochs_ = run.n_epochs
        self.best_epoch_ = run.best_epoch
        self._criterion_weight = None if run.weight is None else run.weight.detach().cpu()

    # ------------------------------------------------------------------ training

    def fit(self, X, y):
        """Initialise the module and train it for up to ``max_epochs`` epochs.

        The new module is trained apart from the fitted one and replaces it only once training
        has succeeded: if ``fit`` raises (bad input, divergence, an error in the module or the
        criterion, ``KeyboardInterrupt``), the estimator is left exactly as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (flattened images when ``image_shape`` is set).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : TorchClassifier
            The fitted estimator.
        """
        with restore_on_error(self):
            cfg = self._check_params()
            seed = draw_seed(self.random_state)
            X, y = self._validate_fit_data(X, y, reset=True)
            image_shape = check_image_shape(cfg["image_shape"], X.shape[1])
            encoder = LabelEncoder().fit(y)
            classes = encoder.classes_
            if len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                    f"({classes[0]!r})."
                )
            y_enc = encoder.transform(y).astype(np.int64)
            split = None
            if cfg["validation_fraction"] is not None:
                split = _split(y_enc, cfg["validation_fraction"], child_seed(seed, _SEED_SPLIT))
            run = self._new_run(cfg, classes, y, X.shape[1], seed)
            X_t = self._to_tensor(X, image_shape)
            y_t = torch.from_numpy(y_enc)
            valid = None
            if split is not None:
                train_idx, valid_idx = split
                valid = (X_t[valid_idx], y_t[valid_idx])
                X_t, y_t = X_t[train_idx], y_t[train_idx]
            self._train_epochs(run, X_t, y_t, valid, cfg)
            self._commit(run)
        return self

    def _train_epochs(self, run: _Run, X_t, y_t, valid, cfg: dict) -> None:
        """Up to ``max_epochs`` epochs on ``run``, with early stopping when asked."""
        best_loss, best_state, stale = np.inf, None, 0
        bar = _progress(cfg["verbose"], cfg["max_epochs"], type(self).__name__)
        try:
            for _ in range(cfg["max_epochs"]):
                record = self._run_epoch(run, X_t, y_t, cfg["batch_size"], valid)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix({k: round(v, 4) for k, v in record.items()
                                     if k.endswith(("loss", "acc"))})
                if valid is None:
                    continue
                if record["valid_loss"] < best_loss:
                    best_loss, stale = record["valid_loss"], 0
                    run.best_epoch = record["epoch"]
                    if self.early_stopping:
                        best_state = copy.deepcopy(run.module.state_dict())
                else:
                    stale += 1
                    if self.early_stopping and stale >= cfg["patience"]:
                        logger.info("Early stopping after epoch %d; best epoch %d.",
                                    record["epoch"], run.best_epoch)
                        break
        finally:
            if bar is not None:
                bar.close()
        if best_state is not None:
            run.module.load_state_dict(best_state)

    def partial_fit(self, X, y, classes=None):
        """Train for one pass over ``X``, initialising the module on the first call.

        ``validation_fraction`` and ``early_stopping`` do not apply here. A first call (one
        that initialises the module) refuses ``class_weight='balanced'``, because one batch
        does not give the class frequencies; a dict works, and after :meth:`fit` the weights
        computed there are kept.

        The pass trains a copy of the module and optimizer state, which replaces the fitted
        one once the pass has succeeded (so the module's memory is needed twice during the
        call): if ``partial_fit`` raises, the estimator is left exactly as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels, all of them among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All the labels that will ever be seen. Required on the first call (when the
            estimator is not fitted yet); later it must match ``classes_`` if given.

        Returns
        -------
        self : TorchClassifier
            The updated estimator.
        """
        with restore_on_error(self):
            cfg = self._check_params()
            first = not hasattr(self, "module_")
            if first and isinstance(self.class_weight, str) and self.class_weight == "balanced":
                raise ValueError("class_weight='balanced' cannot be computed by the first "
                                 "partial_fit call from one batch; pass a dict of weights, or "
                                 "fit first.")
            if first and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            X, y = self._validate_fit_data(X, y, reset=first)
            image_shape = check_image_shape(cfg["image_shape"], X.shape[1])
            known = self._check_partial_classes(classes, first)
            unseen = np.setdiff1d(np.unique(y), known)
            if unseen.size:
                raise ValueError(
                    f"y has labels {unseen.tolist()!r} that are not in classes "
                    f"{known.tolist()!r}."
                )
            if first:
                run = self._new_run(cfg, known, y, X.shape[1], draw_seed(self.random_state))
            else:
                run = self._continued_run()
            y_enc = np.searchsorted(run.classes, y).astype(np.int64)
            self._run_epoch(run, self._to_tensor(X, image_shape), torch.from_numpy(y_enc),
                            cfg["batch_size"], None)
            self._commit(run)
        return self

    def _check_partial_classes(self, classes, first: bool):
        """The classes a partial_fit call trains on, checked against ``classes_``."""
        if classes is None:
            return self.classes_
        classes = column_or_1d(classes)
        check_classification_targets(classes)
        classes = np.unique(classes)
        if first and len(classes) < 2:
            raise ValueError(
                f"classes must hold at least 2 classes; got 1 class ({classes[0]!r})."
            )
        if not first and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()!r} is not the same as classes_="
                f"{self.classes_.tolist()!r} from the first call."
            )
        return classes

    def _run_epoch(self, run: _Run, X_t, y_t, batch_size: int, valid) -> dict:
        """One pass over (X_t, y_t) in shuffled mini-batches; appends to ``run.history``."""
        start = time.perf_counter()
        epoch = run.n_epochs
        device = torch.device(run.device)
        n = len(y_t)
        order = np.random.default_rng(child_seed(run.seed, _SEED_SHUFFLE, epoch)).permutation(n)
        order = torch.from_numpy(order)
        run.module.train()
        total_loss, correct = 0.0, 0
        with torch_rng_scope(child_seed(run.seed, _SEED_DROPOUT, epoch), device):
            for lo in range(0, n, batch_size):
                idx = order[lo:lo + batch_size]
                xb, yb = X_t[idx].to(device), y_t[idx].to(device)
                run.optimizer.zero_grad()
                logits = _forward(run.module, xb, len(run.classes))
                loss = run.criterion(logits, yb)
                loss.backward()
                run.optimizer.step()
                total_loss += float(loss.detach()) * len(idx)
                correct += int((logits.detach().argmax(dim=1) == yb).sum())
        record = {"epoch": epoch + 1, "train_loss": total_loss / n, "train_acc": correct / n}
        if not np.isfinite(record["train_loss"]):
            raise FloatingPointError(
                f"The training loss is {record['train_loss']} at epoch {epoch + 1}; try a "
                "smaller lr or scale X. The estimator was left as it was before this call."
            )
        if valid is not None:
            record["valid_loss"], record["valid_acc"] = self._evaluate(*valid, batch_size, run)
        record["dur"] = time.perf_counter() - start
        run.history.append(record)
        run.n_epochs = epoch + 1
        run.module.eval()
        logger.debug("epoch %s", record)
        return record

    @torch.no_grad()
    def _evaluate(self, X_t, y_t, batch_size: int, run: _Run | None = None):
        """Mean loss and accuracy of ``run`` (by default the fitted state) on (X_t, y_t)."""
        run = self._fitted_run() if run is None else run
        device = torch.device(run.device)
        was_training = run.module.training
        run.module.eval()
        total_loss, correct = 0.0, 0
        try:
            for lo in range(0, len(y_t), batch_size):
                xb = X_t[lo:lo + batch_size].to(device)
                yb = y_t[lo:lo + batch_size].to(device)
                logits = _forward(run.module, xb, len(run.classes))
                total_loss += float(run.criterion(logits, yb)) * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum())
        finally:
            run.module.train(was_training)
        return total_loss / len(y_t), correct / len(y_t)

    # ------------------------------------------------------------------ prediction

    def __sklearn_is_fitted__(self):
        # Fitted once the module is built: input validation alone (n_features_in_) is not.
        return hasattr(self, "module_")

    def predict_proba(self, X):
        """Class probabilities, the softmax of the module's outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (float64) in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        image_shape = check_image_shape(self.image_shape, X.shape[1])
        X_t = self._to_tensor(X, image_shape)
        batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        device = torch.device(self.device_)
        self.module_.eval()
        out = []
        with torch.no_grad():
            for lo in range(0, len(X_t), batch_size):
                # A copy: X_t may share the caller's memory, and a module may work in place.
                xb = X_t[lo:lo + batch_size].to(device, copy=True)
                logits = _forward(self.module_, xb, len(self.classes_))
                out.append(torch.softmax(logits.double(), dim=1).cpu())
        return torch.cat(out).numpy()

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------------ pickling

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
        if _LEGACY_PICKLE_KEY in state:
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
        with torch_rng_scope(0):  # building initialises weights; they are overwritten below
            module = self._build_module(self.n_features_in_, len(self.classes_),
                                        check_image_shape(self.image_shape))
            criterion = self._build_criterion(None if weight is None else weight.to(device))
        module.load_state_dict(module_state)
        module = module.to(device).eval()
        if isinstance(criterion, nn.Module):
            if criterion_state is not None:
                criterion.load_state_dict(criterion_state)
            criterion = criterion.to(device)
        optimizer = self._build_optimizer(module, self._params_for("optimizer").get("lr", self.lr))
        optimizer.load_state_dict(optimizer_state)
        self.module_, self.criterion_, self.optimizer_ = module, criterion, optimizer


class _Run:
    """The state one call to fit or partial_fit trains, apart from the estimator.

    The estimator's fitted attributes are assigned from it (``TorchClassifier._commit``) only
    once training has succeeded, so a call that raises leaves the estimator as it was.
    """

    def __init__(self, *, module, criterion, optimizer, classes, device, seed, weight,
                 history=None, n_epochs=0, best_epoch=None):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.classes = classes
        self.device = device
        self.seed = seed
        self.weight = weight
        self.history = [] if history is None else history
        self.n_epochs = n_epochs
        self.best_epoch = best_epoch


def _forward(module, xb, n_classes: int):
    """The module's logits for ``xb``, checked to have shape (batch, n_classes)."""
    logits = module(xb)
    if not isinstance(logits, torch.Tensor) or logits.shape != (len(xb), n_classes):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits)
        raise ValueError(
            f"The module must return logits of shape (batch, n_classes) = "
            f"({len(xb)}, {n_classes}); got {shape}. Check its n_classes / output size."
        )
    return logits


# ---------------------------------------------------------------------- helpers


def _check_prefixed_names(kwargs: dict, where: str) -> None:
    unexpected = sorted(k for k in kwargs if not k.startswith(_PREFIXES))
    if unexpected:
        raise TypeError(
            f"{where} got unexpected parameter(s) {', '.join(unexpected)}; extra "
            "parameters must start with module__, criterion__ or optimizer__."
        )


def _signature_names(func):
    """Named parameters of a callable (and whether it takes **kwargs); None if unknown."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None, True
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in parameters if p.kind in kinds}
    has_var_kw = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)
    return names, has_var_kw


def _name_of(obj) -> str:
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _split(y_enc: np.ndarray, fraction: float, seed: int):
    """Train/validation indices, stratified when every class can be split."""
    indices = np.arange(len(y_enc))
    n_valid = int(np.ceil(fraction * len(y_enc)))
    if n_valid < 1 or n_valid >= len(y_enc):
        raise ValueError(
            f"validation_fraction={fraction} leaves no training or no validation samples out "
            f"of {len(y_enc)}."
        )
    try:
        return train_test_split(indices, test_size=n_valid, random_state=seed, stratify=y_enc)
    except ValueError:
        warnings.warn(
            "The validation split could not be stratified (a class has too few samples); "
            "it was drawn at random instead.",
            UserWarning,
            stacklevel=3,
        )
        return train_test_split(indices, test_size=n_valid, random_state=seed)


def _progress(verbose: int, total: int, name: str):
    if not verbose:
        return None
    return tqdm(total=total, desc=name, unit="epoch")
