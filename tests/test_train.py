"""The training loop: learning, history, early stopping, evaluation mode and quiet output."""

import numpy as np
import pytest

import mlcore
from mlcore import functional as F
from mlcore import optim
from mlcore.data import DataLoader, make_blobs
from mlcore.nn import Linear, Module, ReLU, Sequential
from mlcore.train import EarlyStopping, accuracy, evaluate, fit


def blobs_loaders():
    X, y = make_blobs(240, centers=np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]]), cluster_std=0.5, rng=0)
    train = DataLoader(X[:180], y[:180], batch_size=32, shuffle=True, rng=0)
    val = DataLoader(X[180:], y[180:], batch_size=64)
    return train, val


def test_fit_learns_and_records_history():
    train, val = blobs_loaders()
    model = Sequential(Linear(2, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, F.cross_entropy, opt, train, val, epochs=6,
                  metrics={"accuracy": accuracy}, scheduler=sched, progress=False)
    assert history.epochs == 6 and not history.stopped_early
    for series in (history.train_loss, history.val_loss, history.lr,
                   history.train_metrics["accuracy"], history.val_metrics["accuracy"]):
        assert len(series) == 6
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.val_metrics["accuracy"][-1] > 0.9
    np.testing.assert_allclose(history.lr, [0.02, 0.02, 0.01, 0.01, 0.005, 0.005])
    assert history.best_epoch == int(np.argmin(history.val_loss))
    assert evaluate(model, val, F.cross_entropy)["loss"] == pytest.approx(history.val_loss[-1])


class Scalar(Module):
    """y = w x with one weight; records the mode and gradient recording of each call."""

    def __init__(self):
        self.w = mlcore.nn.Parameter(np.ones((1, 1)))
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, mlcore.is_grad_enabled()))
        return x @ self.w


def scripted_validation(model, val_losses):
    """A loss that is MSE in training but, in evaluation, returns ``val_losses`` one epoch at a time.

    It also records the weight at each validation, i.e. the weights each epoch ended with.
    """
    weights = []

    def loss_fn(out, y):
        if mlcore.is_grad_enabled():
            return F.mse_loss(out, y)
        weights.append(model.w.data.copy())
        return mlcore.Tensor(val_losses[len(weights) - 1])

    return loss_fn, weights


def regression_loaders():
    X = np.linspace(-1, 1, 8, dtype=np.float32)[:, None]
    return DataLoader(X, 3 * X, batch_size=4), DataLoader(X, 3 * X, batch_size=8)


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_stops_at_the_right_epoch_and_restores_best(restore_best):
    val_losses = [5.0, 4.0, 3.0, 3.5, 2.95, 3.2, 1.0, 0.5]
    # min_delta 0.1: 2.95 is not an improvement on 3.0, so epochs 4, 5, 6 (indices 3-5) all fail
    # and with patience 3 training stops after epoch index 5; the best is epoch index 2.
    model = Scalar()
    loss_fn, weights = scripted_validation(model, val_losses)
    train, val = regression_loaders()
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.05), train, val, epochs=8,
                  early_stopping=EarlyStopping(patience=3, min_delta=0.1, restore_best=restore_best),
                  progress=False)
    assert history.stopped_early and history.epochs == 6 and history.best_epoch == 2
    np.testing.assert_allclose(history.val_loss, val_losses[:6], rtol=1e-7)
    assert len(history.lr) == 6
    expected = weights[2] if restore_best else weights[5]
    np.testing.assert_array_equal(model.w.data, expected)
    assert not np.array_equal(weights[2], weights[5])


def test_early_stopping_patience_resets_on_improvement():
    val_losses = [3.0, 3.1, 2.0, 2.5, 2.6, 2.7, 9.0]
    model = Scalar()
    loss_fn, _ = scripted_validation(model, val_losses)
    train, val = regression_loaders()
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.05), train, val, epochs=7,
                  early_stopping=EarlyStopping(patience=3), progress=False)
    assert history.epochs == 6 and history.best_epoch == 2


def test_evaluate_uses_eval_mode_and_no_grad_then_restores_training():
    model = Scalar()
    _, val = regression_loaders()
    result = evaluate(model, val, F.mse_loss, {"neg": lambda out, y: -1.0})
    assert model.calls == [(False, False)] and model.training
    assert result == {"loss": pytest.approx(4.0 * np.mean(np.linspace(-1, 1, 8) ** 2)), "neg": -1.0}
    model.eval()
    evaluate(model, val, F.mse_loss)
    assert not model.training  # the previous mode is restored, whatever it was


def test_fit_trains_in_training_mode():
    model = Scalar()
    train, val = regression_loaders()
    fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), train, val, epochs=1, progress=False)
    assert model.calls == [(True, True), (True, True), (False, False)] and model.training


def test_progress_output(capsys):
    train, val = regression_loaders()
    model = Scalar()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, F.mse_loss, opt, train, val, epochs=2, progress=False)
    fit(model, F.mse_loss, opt, train, val, epochs=2)  # auto: stdout is captured, not a terminal
    assert capsys.readouterr().out == ""
    fit(model, F.mse_loss, opt, train, val, epochs=2, progress=True)
    out = capsys.readouterr().out
    assert "epoch 2/2 [####################] 2/2 loss" in out and "val_loss" in out
    assert out.count("\n") == 2


def test_accuracy():
    scores = np.array([[0.1, 0.9], [2.0, -1.0], [0.3, 0.4]])
    assert accuracy(scores, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"scores of shape \(N, C\)"):
        accuracy(np.zeros(3), np.zeros(3, dtype=int))


def test_fit_errors():
    train, val = regression_loaders()
    model = Scalar()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="needs a val_loader"):
        fit(model, F.mse_loss, opt, train, early_stopping=EarlyStopping(), progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        fit(model, F.mse_loss, opt, train, epochs=0)
    with pytest.raises(ValueError, match="patience must be a positive integer, got 0"):
        EarlyStopping(patience=0)
    before = model.w.data.copy()
    with pytest.raises(FloatingPointError, match="training loss is nan in epoch 1/1, batch 1"):
        fit(model, lambda out, y: out.sum() * np.nan, opt, train, epochs=1, progress=False)
    np.testing.assert_array_equal(model.w.data, before)  # the bad step was not taken
