"""A small training loop: :func:`fit`, :func:`evaluate`, early stopping and a text progress bar.

Chapter 8: Losses and the training loop writes this loop out by hand first;
chapter 12: Regularisation explains early stopping.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from mlcore.nn.module import Module
from mlcore.optim import LRScheduler, Optimizer
from mlcore.tensor import Tensor, no_grad

__all__ = ["accuracy", "evaluate", "fit", "EarlyStopping", "History"]

Metric = Callable[[np.ndarray, np.ndarray], float]
Batches = Iterable[tuple[Any, Any]]


def accuracy(outputs: np.ndarray | Tensor, targets: np.ndarray) -> float:
    """Fraction of samples whose highest score is the true class: :math:`\\frac1N \\sum_n [\\arg\\max_c z_{nc} = y_n]`.

    Parameters
    ----------
    outputs : ndarray or Tensor, shape (N, C)
        Class scores (logits or probabilities).
    targets : ndarray of int, shape (N,)

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """
    z = np.asarray(outputs.data if isinstance(outputs, Tensor) else outputs)
    y = np.asarray(targets)
    if z.ndim != 2 or y.shape != (len(z),):
        raise ValueError(f"accuracy: expected scores of shape (N, C) and labels of shape (N,), got "
                         f"{z.shape} and {y.shape}")
    return float(np.mean(z.argmax(axis=1) == y))


@dataclass
class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` epochs.

    An epoch *improves* when its validation loss is below the best so far
    minus ``min_delta``. With ``restore_best`` the model gets back the
    weights of its best epoch when training ends.

    Notes
    -----
    Chapter 12: Regularisation.
    """

    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.patience, int) or self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive integer, got {self.patience!r}")
        if not self.min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be non-negative, got {self.min_delta!r}")


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch run.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss over each epoch's batches (weighted by batch size).
    val_loss : list of float
        Validation loss after each epoch (empty without a validation loader).
    train_metrics, val_metrics : dict of str to list of float
        Each metric's value per epoch, on the training batches as they were
        seen and on the validation set after the epoch.
    lr : list of float
        The learning rate used during each epoch.
    best_epoch : int or None
        Index (from 0) of the epoch with the lowest validation loss (a gain
        below early stopping's ``min_delta`` does not count), None without a
        validation loader.
    stopped_early : bool
        Whether early stopping ended training before ``epochs``.

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metrics: dict[str, list[float]] = field(default_factory=dict)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.train_loss)


def _as_input(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def evaluate(model: Module, loader: Batches, loss_fn: Callable[[Tensor, Any], Tensor] | None = None,
             metrics: Mapping[str, Metric] | None = None) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, without building a graph.

    Runs in :func:`~mlcore.no_grad` with the model in evaluation mode
    (``model.eval()``; dropout off, batch norm on running statistics), and
    puts the model back in the mode it was in.

    Parameters
    ----------
    model : Module
    loader : iterable of (inputs, targets)
        E.g. a :class:`~mlcore.data.DataLoader`.
    loss_fn : callable, optional
        ``loss_fn(outputs, targets) -> Tensor``, a batch mean.
    metrics : dict of str to callable, optional
        ``metric(outputs, targets) -> float`` on NumPy arrays, a batch mean
        (e.g. :func:`accuracy`).

    Returns
    -------
    dict of str to float
        ``"loss"`` (when ``loss_fn`` is given) and each metric, averaged over
        all samples (batch means weighted by batch size).

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """
    metrics = dict(metrics or {})
    sums = dict.fromkeys((["loss"] if loss_fn is not None else []) + list(metrics), 0.0)
    n = 0
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for x, y in loader:
                out = model(_as_input(x))
                k = len(y)
                if loss_fn is not None:
                    sums["loss"] += loss_fn(out, y).item() * k
                for name, metric in metrics.items():
                    sums[name] += metric(out.data, y) * k
                n += k
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return {name: total / n for name, total in sums.items()}


def _bar(done: int, total: int | None, width: int = 20) -> str:
    if total is None:
        return f"{done} batches"
    filled = round(width * done / total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def _train_epoch(model: Module, loss_fn: Callable[[Tensor, Any], Tensor], optimizer: Optimizer,
                 loader: Batches, metrics: dict[str, Metric], epoch: str,
                 show: bool) -> dict[str, float]:
    """One pass over ``loader``: forward, loss, backward, step. Returns mean loss and metrics."""
    total = len(loader) if hasattr(loader, "__len__") else None
    sums = dict.fromkeys(["loss", *metrics], 0.0)
    n = 0
    model.train()
    for i, (x, y) in enumerate(loader, start=1):
        optimizer.zero_grad()
        out = model(_as_input(x))
        loss = loss_fn(out, y)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"fit: the training loss is {value} in epoch {epoch}, batch {i} "
                                     f"(learning rate too large, or a bad initialisation?)")
        loss.backward()
        optimizer.step()
        k = len(y)
        sums["loss"] += value * k
        for name, metric in metrics.items():
            sums[name] += metric(out.data, y) * k
        n += k
        if show:
            print(f"\repoch {epoch} {_bar(i, total)} loss {sums['loss'] / n:.4f}", end="", flush=True)
    if n == 0:
        raise ValueError("fit: the training loader yielded no samples")
    return {name: s / n for name, s in sums.items()}


def fit(model: Module, loss_fn: Callable[[Tensor, Any], Tensor], optimizer: Optimizer,
        train_loader: Batches, val_loader: Batches | None = None, epochs: int = 10,
        metrics: Mapping[str, Metric] | None = None, early_stopping: EarlyStopping | None = None,
        scheduler: LRScheduler | None = None, progress: bool | None = None) -> History:
    """Train ``model`` for up to ``epochs`` passes over ``train_loader``.

    Each batch: ``zero_grad``, forward, ``loss_fn(outputs, targets)``,
    ``backward``, ``optimizer.step()``. After each epoch: :func:`evaluate` on
    ``val_loader``, the early-stopping check, then ``scheduler.step()``.

    Parameters
    ----------
    model : Module
    loss_fn : callable
        ``loss_fn(outputs, targets) -> Tensor``, the mean loss of a batch,
        e.g. :func:`mlcore.functional.cross_entropy`.
    optimizer : Optimizer
        Built on ``model.parameters()``.
    train_loader, val_loader : iterable of (inputs, targets)
        Usually :class:`~mlcore.data.DataLoader`. Inputs that are not
        tensors are wrapped in :class:`~mlcore.Tensor`; targets are passed
        to ``loss_fn`` and the metrics as they come.
    epochs : int
        Maximum number of epochs.
    metrics : dict of str to callable, optional
        ``metric(outputs, targets) -> float`` on NumPy arrays, e.g.
        ``{"accuracy": accuracy}``.
    early_stopping : EarlyStopping, optional
        Watches the validation loss (needs ``val_loader``).
    scheduler : LRScheduler, optional
        Stepped once per epoch.
    progress : bool or None
        Print a text progress bar and one summary line per epoch. ``None``
        (default) means only when standard output is a terminal, so that
        notebooks executed for the book stay uncluttered.

    Returns
    -------
    History

    Raises
    ------
    FloatingPointError
        The training loss became NaN or infinite (before that step is taken).

    Notes
    -----
    Chapter 8: Losses and the training loop; chapter 12: Regularisation
    (early stopping).
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if early_stopping is not None and val_loader is None:
        raise ValueError("fit: early_stopping watches the validation loss and needs a val_loader")
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an mlcore.nn.Module, got {type(model).__name__}")
    if not callable(getattr(optimizer, "step", None)) or not hasattr(optimizer, "params"):
        raise TypeError(f"fit: optimizer must be an mlcore.optim.Optimizer, got {type(optimizer).__name__}")
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if trainable and not trainable & {id(p) for p in optimizer.params}:
        raise ValueError("fit: the optimizer holds none of the model's trainable parameters (was it built "
                         "on another model?); build it on model.parameters()")
    metrics = dict(metrics or {})
    if "loss" in metrics:
        raise ValueError("fit: 'loss' is reserved for the loss; give the metric another name")
    show = sys.stdout.isatty() if progress is None else progress
    history = History(train_metrics={name: [] for name in metrics},
                      val_metrics={name: [] for name in metrics})
    min_delta = early_stopping.min_delta if early_stopping else 0.0
    best_loss, best_state, waited = math.inf, None, 0

    for epoch in range(epochs):
        history.lr.append(optimizer.lr)
        label = f"{epoch + 1}/{epochs}"
        train_means = _train_epoch(model, loss_fn, optimizer, train_loader, metrics, label, show)
        history.train_loss.append(train_means["loss"])
        for name in metrics:
            history.train_metrics[name].append(train_means[name])
        # The summary continues the progress line, which ends with the training loss.
        summary = "".join(f" - {name} {train_means[name]:.4f}" for name in metrics)
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, metrics)
            history.val_loss.append(val["loss"])
            for name in metrics:
                history.val_metrics[name].append(val[name])
            summary += "".join(f" - val_{name} {value:.4f}" for name, value in val.items())
            if val["loss"] < best_loss - min_delta:
                best_loss, history.best_epoch, waited = val["loss"], epoch, 0
                if early_stopping and early_stopping.restore_best:
                    best_state = model.state_dict()
            else:
                waited += 1
        if show:
            print(f"{summary} - lr {history.lr[-1]:.3g}", flush=True)
        if early_stopping and waited >= early_stopping.patience:
            history.stopped_early = True
            break
        if scheduler is not None:
            scheduler.step()

    if best_state is not None:
        model.load_state_dict(best_state)
    return history
