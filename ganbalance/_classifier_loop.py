"""The training loop of :class:`~ganbalance.TorchClassifier`: the state one call trains
(:class:`Run`), epochs of shuffled mini-batches, the validation split, early stopping and
batched prediction. A mixin, so that the epoch and the evaluation are methods of the estimator
that a subclass can override (as ``_gan_loop`` does for the GAN)."""

from __future__ import annotations

import copy
import logging
import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from ._random import child_seed, torch_rng_scope

__all__ = ["SEED_DROPOUT", "SEED_INIT", "SEED_SHUFFLE", "SEED_SPLIT", "EpochLoopMixin", "Run",
           "forward", "predict_proba_batches", "validation_split"]

logger = logging.getLogger("ganbalance.classifier")

# Keys of the seeds derived from the one drawn per fit (see _random.child_seed).
SEED_INIT, SEED_SPLIT, SEED_SHUFFLE, SEED_DROPOUT = 0, 1, 2, 3


class Run:
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


class EpochLoopMixin:
    """Epochs over a :class:`Run`, with validation scores and early stopping.

    The estimator provides ``early_stopping`` and ``_fitted_run()`` (the fitted state as a
    :class:`Run`, which :meth:`_evaluate` scores by default).
    """

    def _train_epochs(self, run: Run, X_t, y_t, valid, cfg: dict) -> None:
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

    def _run_epoch(self, run: Run, X_t, y_t, batch_size: int, valid) -> dict:
        """One pass over (X_t, y_t) in shuffled mini-batches; appends to ``run.history``."""
        start = time.perf_counter()
        epoch = run.n_epochs
        device = torch.device(run.device)
        n = len(y_t)
        order = np.random.default_rng(child_seed(run.seed, SEED_SHUFFLE, epoch)).permutation(n)
        order = torch.from_numpy(order)
        run.module.train()
        total_loss, correct = 0.0, 0
        with torch_rng_scope(child_seed(run.seed, SEED_DROPOUT, epoch), device):
            for lo in range(0, n, batch_size):
                idx = order[lo:lo + batch_size]
                xb, yb = X_t[idx].to(device), y_t[idx].to(device)
                run.optimizer.zero_grad()
                logits = forward(run.module, xb, len(run.classes))
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
    def _evaluate(self, X_t, y_t, batch_size: int, run: Run | None = None):
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
                logits = forward(run.module, xb, len(run.classes))
                total_loss += float(run.criterion(logits, yb)) * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum())
        finally:
            run.module.train(was_training)
        return total_loss / len(y_t), correct / len(y_t)


def forward(module, xb, n_classes: int):
    """The module's logits for ``xb``, checked to have shape (batch, n_classes)."""
    logits = module(xb)
    if not isinstance(logits, torch.Tensor) or logits.shape != (len(xb), n_classes):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits)
        raise ValueError(
            f"The module must return logits of shape (batch, n_classes) = "
            f"({len(xb)}, {n_classes}); got {shape}. Check its n_classes / output size."
        )
    return logits


@torch.no_grad()
def predict_proba_batches(module, X_t, batch_size: int, device, n_classes: int) -> np.ndarray:
    """The softmax (float64) of the module's logits for ``X_t``, batch by batch, in eval mode.

    Each batch is copied to ``device`` first: ``X_t`` may share the caller's memory, and a
    module may work in place.
    """
    device = torch.device(device)
    module.eval()
    out = []
    for lo in range(0, len(X_t), batch_size):
        xb = X_t[lo:lo + batch_size].to(device, copy=True)
        logits = forward(module, xb, n_classes)
        out.append(torch.softmax(logits.double(), dim=1).cpu())
    return torch.cat(out).numpy()


def validation_split(y_enc: np.ndarray, fraction: float, seed: int):
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
