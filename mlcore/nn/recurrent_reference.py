"""Recurrent cells built from primitive operations: the reference for the fused recurrences.

Each function computes one time step exactly as Chapter 17 (Recurrent networks)
writes it, with :mod:`mlcore.ops` and :mod:`mlcore.functional` operations, so
autograd differentiates it node by node; :func:`recurrent_layer_reference`
loops the step over a sequence.  It is slower than
:func:`mlcore.nn.recurrent.recurrent_layer` (every step builds a dozen graph
nodes) and serves as the oracle the fused backward passes are tested against.
Weights follow PyTorch's layout: ``w_ih`` (gates*H, input_size), ``w_hh`` (gates*H, H).
"""

from __future__ import annotations

from mlcore import functional as F
from mlcore import ops
from mlcore.tensor import Tensor

__all__ = ["rnn_cell_reference", "lstm_cell_reference", "gru_cell_reference", "recurrent_layer_reference"]


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """:math:`x W^\\top + b` for ``x`` (N, D), ``w`` (G, D), ``b`` (G,) or ``None``."""
    y = x @ w.T
    return y + b if b is not None else y


def rnn_cell_reference(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh") -> Tensor:
    """:math:`h' = \\phi(x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})`; shapes (N, D), (N, H) -> (N, H).

    Chapter 17: Recurrent networks.
    """
    a = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    return F.tanh(a) if nonlinearity == "tanh" else F.relu(a)


def lstm_cell_reference(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple[Tensor, Tensor]:
    """One LSTM step, gates i, f, g, o: returns :math:`(h', c')`, each (N, H).

    .. math:: c' = \\sigma(a^f) \\odot c + \\sigma(a^i) \\odot \\tanh(a^g),\\qquad
              h' = \\sigma(a^o) \\odot \\tanh(c').

    Chapter 17: Recurrent networks.
    """
    H = h.shape[-1]
    a = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    i = F.sigmoid(a[:, :H])
    f = F.sigmoid(a[:, H:2 * H])
    g = F.tanh(a[:, 2 * H:3 * H])
    o = F.sigmoid(a[:, 3 * H:])
    c_new = f * c + i * g
    return o * F.tanh(c_new), c_new


def gru_cell_reference(x, h, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step, gates r, z, n (PyTorch's variant, reset applied to :math:`W_{hn} h + b_{hn}`).

    .. math:: n = \\tanh(p^n + r \\odot q^n),\\qquad h' = (1 - z) \\odot n + z \\odot h,

    with :math:`p = x W_{ih}^\\top + b_{ih}` and :math:`q = h W_{hh}^\\top + b_{hh}`. Shapes (N, D), (N, H) -> (N, H).

    Chapter 17: Recurrent networks.
    """
    H = h.shape[-1]
    p = _affine(x, w_ih, b_ih)
    q = _affine(h, w_hh, b_hh)
    r = F.sigmoid(p[:, :H] + q[:, :H])
    z = F.sigmoid(p[:, H:2 * H] + q[:, H:2 * H])
    n = F.tanh(p[:, 2 * H:] + r * q[:, 2 * H:])
    return (1 - z) * n + z * h


def recurrent_layer_reference(mode: str, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False):
    """Same contract as :func:`mlcore.nn.recurrent.recurrent_layer`, one cell call per step.

    Returns ``(output (T, N, H), h_n (N, H), c_n (N, H) or None)``.

    Chapter 17: Recurrent networks.
    """
    T = x.shape[0]
    h, c = h0, c0
    states: list[Tensor | None] = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        if mode == "LSTM":
            h, c = lstm_cell_reference(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        elif mode == "GRU":
            h = gru_cell_reference(x[t], h, w_ih, w_hh, b_ih, b_hh)
        else:
            h = rnn_cell_reference(x[t], h, w_ih, w_hh, b_ih, b_hh,
                                   "tanh" if mode == "RNN_TANH" else "relu")
        states[t] = h
    return ops.stack(states, axis=0), h, (c if mode == "LSTM" else None)
