"""A scikit-learn classifier that trains any :class:`torch.nn.Module`.

The estimator lives here; its parts are in private modules: the checks its parameter table
cannot express (``_classifier_params``), building the module, criterion and optimizer
(``_classifier_build``), the training loop (``_classifier_loop``) and pickling
(``_classifier_state``).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from torch import nn

from ._classifier_build import (
    build_criterion,
    build_module,
    build_optimizer,
    class_weight_tensor,
)
from ._classifier_loop import (
    SEED_INIT,
    SEED_SPLIT,
    EpochLoopMixin,
    Run,
    predict_proba_batches,
    validation_split,
)
from ._classifier_params import (
    PREFIXES,
    check_components,
    check_early_stopping,
    check_learning_rate,
    check_prefixed_names,
    validate_some,
)
from ._classifier_state import TorchStateMixin
from ._device import resolve_device
from ._random import child_seed, draw_seed, torch_rng_scope
from ._training import restore_on_error
from ._validation import check_image_shape, check_numeric_dtype
from .persistence import SaveMixin

__all__ = ["TorchClassifier"]


class TorchClassifier(TorchStateMixin, EpochLoopMixin, SaveMixin, ClassifierMixin,
                      BaseEstimator):
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

    _parameter_constraints: dict = {
        "module": [callable, nn.Module],
        "criterion": [callable, nn.Module],
        "optimizer": [callable],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
        "device": [str, torch.device],
        "class_weight": [Mapping, StrOptions({"balanced"}), None],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "early_stopping": ["boolean"],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
    }

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
        prefixed = {k: v for k, v in params.items() if k.startswith(PREFIXES) or k in extra}
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
        """Validate every parameter (the table above, then what it cannot express); return
        the resolved values. Changes nothing."""
        name = type(self).__name__
        check_prefixed_names(self._extra_params, name)
        self._validate_params()
        check_components(self.module, self.criterion, self.class_weight, self._extra_params)
        lr = check_learning_rate(self.lr, self._extra_params, name)
        check_early_stopping(self.early_stopping, self.validation_fraction)
        fraction = self.validation_fraction
        return {"lr": lr, "max_epochs": int(self.max_epochs), "batch_size": int(self.batch_size),
                "patience": int(self.patience), "verbose": int(self.verbose),
                "image_shape": check_image_shape(self.image_shape),
                "device": resolve_device(self.device),
                "validation_fraction": None if fraction is None else float(fraction)}

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

    def _build(self, n_features: int, n_classes: int, image_shape, weight, lr: float, device):
        """A new module, criterion and optimizer made from the parameters, on ``device``."""
        module = build_module(self.module, self._params_for("module"), n_features, n_classes,
                              image_shape).to(device)
        criterion = build_criterion(self.criterion, self._params_for("criterion"), weight)
        if isinstance(criterion, nn.Module):
            criterion = criterion.to(device)
        optimizer = build_optimizer(self.optimizer, self._params_for("optimizer"), module, lr)
        return module, criterion, optimizer

    def _new_run(self, cfg: dict, classes, y_labels, n_features: int, seed: int) -> Run:
        """A fresh module, criterion and optimizer, held in a Run: ``self`` is not changed."""
        device = cfg["device"]
        weight = class_weight_tensor(self.class_weight, classes, y_labels, device)
        with torch_rng_scope(child_seed(seed, SEED_INIT), device):
            module, criterion, optimizer = self._build(n_features, len(classes),
                                                       cfg["image_shape"], weight, cfg["lr"],
                                                       device)
        return Run(module=module, criterion=criterion, optimizer=optimizer, classes=classes,
                   device=str(device), seed=seed, weight=weight)

    def _continued_run(self) -> Run:
        """A deep copy of the fitted state, for partial_fit to train while ``self`` stays."""
        # One deepcopy call, so that the copied optimizer drives the copied parameters.
        module, criterion, optimizer = copy.deepcopy(
            (self.module_, self.criterion_, self.optimizer_))
        return Run(module=module, criterion=criterion, optimizer=optimizer,
                   classes=self.classes_, device=self.device_, seed=self.seed_,
                   weight=self._criterion_weight, history=list(self.history_),
                   n_epochs=self.n_epochs_, best_epoch=self.best_epoch_)

    def _fitted_run(self) -> Run:
        """The fitted state as a Run (no copy)."""
        return Run(module=self.module_, criterion=self.criterion_, optimizer=self.optimizer_,
                   classes=self.classes_, device=self.device_, seed=self.seed_,
                   weight=self._criterion_weight, history=self.history_,
                   n_epochs=self.n_epochs_, best_epoch=self.best_epoch_)

    def _commit(self, run: Run) -> None:
        """Assign a trained Run's state to the fitted attributes: the last step of a fit."""
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
                split = validation_split(y_enc, cfg["validation_fraction"],
                                         child_seed(seed, SEED_SPLIT))
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
            The estimator, trained for one more epoch (``n_epochs_`` has grown by one).
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

    # ------------------------------------------------------------------ prediction

    def __sklearn_is_fitted__(self):
        # Fitted once the module is built: input validation alone (n_features_in_) is not.
        return hasattr(self, "module_")

    def predict_proba(self, X):
        """Class probabilities, the softmax of the module's outputs.

        The rows pass through the module in eval mode, ``batch_size`` at a time, on
        ``device_``; each batch is a copy, so a module that works in place never changes
        ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score (flattened images when ``image_shape`` is set).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (float64) in the order of ``classes_``; each row sums to 1.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        validate_some(self, ("image_shape", "batch_size"))  # set_params may have changed them
        image_shape = check_image_shape(self.image_shape, X.shape[1])
        return predict_proba_batches(self.module_, self._to_tensor(X, image_shape),
                                     int(self.batch_size), self.device_, len(self.classes_))

    def predict(self, X):
        """Most probable class of each row: ``classes_`` at the argmax of
        :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # first: it raises NotFittedError before classes_ exists
        return self.classes_[np.argmax(proba, axis=1)]
