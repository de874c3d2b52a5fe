"""Recurrent layers: RNN, LSTM, GRU and their one-step cells (Chapter 17: Recurrent networks).

A recurrent layer reads a sequence :math:`x_1, \\dots, x_T` and carries a state
from step to step.  Every layer here splits its work in two:

1. the **input projection** :math:`x_t W_{ih}^\\top` of all time steps at once,
   as one matrix product of shape ``(T*N, input_size) @ (input_size, gates*H)``
   (autograd differentiates it);
2. the **recurrence**, which must run step by step, as one fused
   :class:`~mlcore.tensor.Function` per layer and direction
   (:class:`RNNFunction`, :class:`LSTMFunction`, :class:`GRUFunction`): its
   ``forward`` runs all :math:`T` steps in NumPy and saves the gate values, its
   ``backward`` runs backpropagation through time over all steps and returns
   the gradients of the projected inputs, the initial state, the recurrent
   weights and the biases.  Chapter 17 derives both.

:mod:`mlcore.nn.recurrent_reference` builds the same layers from primitive
operations (autograd does the backward pass); the tests check that the two
agree, and both against finite differences.

**PyTorch parity.** Constructor arguments and defaults, return values,
parameter names and shapes (``weight_ih_l0`` of shape ``(gates*H, input_size)``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``_reverse`` for the second
direction), the gate order (LSTM: i, f, g, o; GRU: r, z, n) and the
initialisation :math:`U(-1/\\sqrt H, 1/\\sqrt H)` are PyTorch's, so a PyTorch
state dict converted to arrays loads with ``load_state_dict`` and gives the
same outputs.  Not supported: packed sequences and LSTM projections (``proj_size``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore import functional as F
from mlcore import ops
from mlcore._checks import check_float_tensor
from mlcore._random import check_rng
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = [
    "RNNFunction", "LSTMFunction", "GRUFunction", "recurrent_layer",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
]

#: Number of gate blocks stacked in ``weight_ih`` / ``weight_hh`` for each mode.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _cast_grads(ctx: Context, grads: tuple, inputs: tuple) -> tuple:
    """Each gradient in its input's dtype, ``None`` where no gradient is needed."""
    return tuple(
        g.astype(a.dtype, copy=False) if need else None
        for g, a, need in zip(grads, inputs, ctx.needs_input_grad)
    )


# ---------------------------------------------------------------------------
# Fused recurrences: forward over all steps, backward through time
# ---------------------------------------------------------------------------


def _steps(T: int, reverse: bool) -> range:
    """Time indices in the order the recurrence visits them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _sigmoid_columns(H: int, gates: str, dtype) -> tuple[np.ndarray, np.ndarray]:
    r"""Scale and shift that turn one ``tanh`` over all gates into the right activation per gate.

    :math:`\sigma(a) = \tfrac12 + \tfrac12\tanh(a/2)`, so if the pre-activations of the
    sigmoid gates are halved beforehand (``scale``), a single ``np.tanh`` over the
    whole (N, gates*H) block, multiplied by ``scale`` and shifted by ``shift``, gives
    :math:`\sigma` for the sigmoid gates and :math:`\tanh` for the others.
    ``gates`` names each block: 's' for sigmoid, 't' for tanh.
    """
    scale = np.repeat([0.5 if kind == "s" else 1.0 for kind in gates], H).astype(dtype)
    return scale, np.where(scale == 0.5, 0.5, 0.0).astype(dtype)


class RNNFunction(Function):
    """The Elman recurrence :math:`h_t = \\phi(p_t + h_{t-1} W_{hh}^\\top + b_{hh})` over all steps.

    Inputs: ``xp`` (T, N, H), the projected inputs :math:`x_t W_{ih}^\\top`;
    ``h0`` (N, H); ``w_hh`` (H, H); ``b`` (H,), the sum :math:`b_{ih} + b_{hh}` of the
    two biases (they enter the same sum).  Options: ``nonlinearity``
    ('tanh' or 'relu') and ``reverse`` (run from :math:`t = T` down to 1).
    Output: every state, shape (T, N, H).

    Backward (backpropagation through time, Chapter 17: Recurrent networks): with
    :math:`\\bar h_t = g_t + \\bar a_{t+1} W_{hh}` (the output gradient plus what
    flows back from the next step), :math:`\\bar a_t = \\bar h_t \\odot \\phi'(a_t)`,
    :math:`\\bar p_t = \\bar a_t`, :math:`\\bar W_{hh} = \\sum_t \\bar a_t^\\top h_{t-1}`,
    :math:`\\bar b_{hh} = \\sum_t \\bar a_t` and :math:`\\bar h_0 = \\bar a_1 W_{hh}`.
    """

    @staticmethod
    def forward(ctx: Context, xp: np.ndarray, h0: np.ndarray, w_hh: np.ndarray, b: np.ndarray,
                nonlinearity: str = "tanh", reverse: bool = False) -> np.ndarray:
        T, N, H = xp.shape
        w = w_hh.astype(xp.dtype, copy=False)
        hs = xp + b.astype(xp.dtype, copy=False)            # (T, N, H): p_t, overwritten by h_t
        h_prev = np.empty_like(hs)                          # h_prev[t]: the state step t starts from
        h = h0.astype(xp.dtype, copy=False)
        for t in _steps(T, reverse):
            h_prev[t] = h
            h = hs[t]
            h += h_prev[t] @ w.T                            # a_t = p_t + h_{t-1} W^T
            if nonlinearity == "tanh":
                np.tanh(h, out=h)
            else:
                np.maximum(h, 0.0, out=h)
        ctx.save_for_backward(hs, h_prev, w)
        ctx.nonlinearity, ctx.reverse, ctx.inputs = nonlinearity, reverse, (xp, h0, w_hh, b)
        return hs

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        hs, h_prev, w = ctx.saved_arrays
        T, N, H = hs.shape
        # phi'(a_t) for every step at once: 1 - h^2 for tanh, [h > 0] for ReLU.
        da_all = 1.0 - hs * hs if ctx.nonlinearity == "tanh" else (hs > 0).astype(hs.dtype)
        dh_next = np.zeros((N, H), dtype=hs.dtype)          # gradient arriving from step t+1
        for t in _steps(T, not ctx.reverse):                # the forward order, reversed
            da = da_all[t]
            da *= grad[t] + dh_next                         # da_t = (g_t + dh_next) * phi'(a_t)
            dh_next = da @ w
        flat = da_all.reshape(T * N, H)
        dw = flat.T @ h_prev.reshape(T * N, H)              # sum_t da_t^T h_{t-1}, one product
        return _cast_grads(ctx, (da_all, dh_next, dw, flat.sum(axis=0)), ctx.inputs)


class LSTMFunction(Function):
    """The LSTM recurrence over all steps (gate order i, f, g, o, as PyTorch).

    .. math::
        (a^i, a^f, a^g, a^o) = p_t + h_{t-1} W_{hh}^\\top + b_{hh},\\quad
        i, f, o = \\sigma(a^{i,f,o}),\\ g = \\tanh(a^g),\\quad
        c_t = f \\odot c_{t-1} + i \\odot g,\\quad h_t = o \\odot \\tanh(c_t).

    Inputs: ``xp`` (T, N, 4H), the projected inputs :math:`x_t W_{ih}^\\top`; ``h0`` and ``c0``
    (N, H); ``w_hh`` (4H, H); ``b`` (4H,), the sum :math:`b_{ih} + b_{hh}` of the two biases.
    Output: shape (2, T, N, H), the hidden states ``[0]`` and cell states ``[1]`` of every step.

    Backward (Chapter 17: Recurrent networks), from the gradients arriving at
    :math:`h_t` and :math:`c_t`:
    :math:`\\bar c_t \\mathrel{+}= \\bar h_t \\odot o \\odot (1 - \\tanh^2 c_t)`,
    :math:`\\bar a^i = \\bar c_t g\\, i(1-i)`, :math:`\\bar a^f = \\bar c_t c_{t-1} f(1-f)`,
    :math:`\\bar a^g = \\bar c_t i (1-g^2)`, :math:`\\bar a^o = \\bar h_t \\tanh(c_t)\\, o(1-o)`;
    then :math:`\\bar c_{t-1} = \\bar c_t \\odot f` (the additive path) and
    :math:`\\bar h_{t-1} = \\bar a\\, W_{hh}`.
    """

    @staticmethod
    def forward(ctx: Context, xp: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_hh: np.ndarray,
                b: np.ndarray, reverse: bool = False) -> np.ndarray:
        T, N, G = xp.shape
        H, dtype = G // 4, xp.dtype
        scale, shift = _sigmoid_columns(H, "ssts", dtype)  # i, f, o sigmoid; g tanh
        acts = xp + b.astype(dtype, copy=False)              # (T, N, 4H), becomes i, f, g, o
        acts *= scale
        w_scaled = w_hh.T.astype(dtype) * scale              # (H, 4H)
        out = np.empty((2, T, N, H), dtype=dtype)            # out[0]: h_t, out[1]: c_t
        tanh_c, h_prev, c_prev = (np.empty((T, N, H), dtype=dtype) for _ in range(3))
        h, c = h0.astype(dtype, copy=False), c0.astype(dtype, copy=False)
        for t in _steps(T, reverse):
            h_prev[t], c_prev[t] = h, c
            gates = acts[t]
            gates += h @ w_scaled
            np.tanh(gates, out=gates)
            gates *= scale
            gates += shift                                   # now i, f, g, o
            i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
            c, h = out[1, t], out[0, t]
            np.multiply(f, c_prev[t], out=c)
            c += i * g                                       # c_t = f c_{t-1} + i g
            np.tanh(c, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=h)                 # h_t = o tanh(c_t)
        ctx.save_for_backward(acts, tanh_c, h_prev, c_prev, w_hh.astype(dtype, copy=False))
        ctx.reverse, ctx.inputs = reverse, (xp, h0, c0, w_hh, b)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        acts, tanh_c, h_prev, c_prev, w = ctx.saved_arrays
        T, N, G = acts.shape
        H = G // 4
        # Derivative of each gate with respect to its pre-activation, all steps at once:
        # s(1 - s) for the sigmoid gates i, f, o and 1 - g^2 for g.
        d_act = 1.0 - acts
        d_act *= acts
        d_act[..., 2 * H:3 * H] = 1.0 - acts[..., 2 * H:3 * H] ** 2
        o_dtanh_c = tanh_c * tanh_c                          # o (1 - tanh^2 c): how h_t reaches c_t
        np.subtract(1.0, o_dtanh_c, out=o_dtanh_c)
        o_dtanh_c *= acts[..., 3 * H:]
        da_all = np.empty_like(acts)
        dh_next = np.zeros((N, H), dtype=acts.dtype)
        dc_next = np.zeros((N, H), dtype=acts.dtype)
        for t in _steps(T, not ctx.reverse):
            gates, da = acts[t], da_all[t]
            i, f, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H]
            dh = grad[0, t] + dh_next
            dc = grad[1, t] + dc_next + dh * o_dtanh_c[t]
            np.multiply(dc, g, out=da[:, :H])                # dL/di
            np.multiply(dc, c_prev[t], out=da[:, H:2 * H])   # dL/df
            np.multiply(dc, i, out=da[:, 2 * H:3 * H])       # dL/dg
            np.multiply(dh, tanh_c[t], out=da[:, 3 * H:])    # dL/do
            da *= d_act[t]                                   # through the activations
            dc_next = dc * f                                 # the cell state's additive path
            dh_next = da @ w
        flat = da_all.reshape(T * N, G)
        dw = flat.T @ h_prev.reshape(T * N, H)               # sum_t da_t^T h_{t-1}
        return _cast_grads(ctx, (da_all, dh_next, dc_next, dw, flat.sum(axis=0)), ctx.inputs)


class GRUFunction(Function):
    """The GRU recurrence over all steps (gate order r, z, n, as PyTorch).

    .. math::
        q_t = h_{t-1} W_{hh}^\\top + b_{hh},\\quad
        r = \\sigma(p^r + q^r),\\ z = \\sigma(p^z + q^z),\\quad
        n = \\tanh(p^n + r \\odot q^n),\\quad h_t = (1 - z) \\odot n + z \\odot h_{t-1}.

    The reset gate multiplies :math:`q^n = W_{hn} h_{t-1} + b_{hn}`, bias included,
    which is why ``b_hh`` enters here and not the input projection.
    Inputs: ``xp`` (T, N, 3H), the projected inputs :math:`x_t W_{ih}^\\top` (so that
    :math:`p_t` is ``xp[t] + b_ih``), ``h0`` (N, H), ``w_hh`` (3H, H), ``b_ih`` and ``b_hh`` (3H,).
    Output: every state, shape (T, N, H).

    Backward (Chapter 17: Recurrent networks):
    :math:`\\bar a^n = \\bar h_t (1-z)(1-n^2)`, :math:`\\bar q^n = \\bar a^n r`,
    :math:`\\bar a^r = \\bar a^n q^n\\, r(1-r)`, :math:`\\bar a^z = \\bar h_t (h_{t-1} - n)\\, z(1-z)`,
    :math:`\\bar h_{t-1} = \\bar h_t z + \\bar q\\, W_{hh}`.
    """

    @staticmethod
    def forward(ctx: Context, xp: np.ndarray, h0: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
                b_hh: np.ndarray, reverse: bool = False) -> np.ndarray:
        T, N, G = xp.shape
        H, dtype = G // 3, xp.dtype
        scale, shift = _sigmoid_columns(H, "sst", dtype)    # r, z sigmoid (n is computed apart)
        p = xp + b_ih.astype(dtype, copy=False)              # p_t = x_t W_ih^T + b_ih
        p[..., :2 * H] *= scale[:2 * H]                      # halved pre-activations of r and z
        w_t = w_hh.T.astype(dtype)                           # (H, 3H)
        b = b_hh.astype(dtype, copy=False)
        q = np.empty((T, N, G), dtype=dtype)                 # q_t = h_{t-1} W^T + b, kept for backward
        acts = np.empty((T, N, G), dtype=dtype)              # r, z, n
        hs, h_prev = np.empty((T, N, H), dtype=dtype), np.empty((T, N, H), dtype=dtype)
        h = h0.astype(dtype, copy=False)
        for t in _steps(T, reverse):
            h_prev[t] = h
            np.matmul(h, w_t, out=q[t])
            q[t] += b
            rz, n = acts[t, :, :2 * H], acts[t, :, 2 * H:]
            np.multiply(q[t, :, :2 * H], scale[:2 * H], out=rz)
            rz += p[t, :, :2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                        # r, z = sigmoid(p + q)
            np.multiply(rz[:, :H], q[t, :, 2 * H:], out=n)
            n += p[t, :, 2 * H:]
            np.tanh(n, out=n)                                # n = tanh(p^n + r q^n)
            h = hs[t]
            np.subtract(h_prev[t], n, out=h)
            h *= rz[:, H:]
            h += n                                           # h_t = n + z (h_{t-1} - n)
        ctx.save_for_backward(acts, q, h_prev, w_hh.astype(dtype, copy=False))
        ctx.reverse, ctx.inputs = reverse, (xp, h0, w_hh, b_ih, b_hh)
        return hs

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        acts, q, h_prev, w = ctx.saved_arrays
        T, N, G = acts.shape
        H = G // 3
        r, z, n = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        # Step-independent factors, for all steps at once.
        dn_factor = (1.0 - z) * (1.0 - n * n)                # dh_t -> da^n
        dr_factor = q[..., 2 * H:] * r * (1.0 - r)           # da^n -> da^r
        dz_factor = (h_prev - n) * z * (1.0 - z)             # dh_t -> da^z
        dp_all = np.empty_like(acts)                         # gradient of the projected inputs p_t
        dq_all = np.empty_like(acts)                         # gradient of q_t
        dh_next = np.zeros((N, H), dtype=acts.dtype)
        for t in _steps(T, not ctx.reverse):
            dp, dq = dp_all[t], dq_all[t]
            dh = grad[t] + dh_next
            dan = np.multiply(dh, dn_factor[t], out=dp[:, 2 * H:])
            np.multiply(dan, dr_factor[t], out=dp[:, :H])
            np.multiply(dh, dz_factor[t], out=dp[:, H:2 * H])
            dq[:, :2 * H] = dp[:, :2 * H]
            np.multiply(dan, r[t], out=dq[:, 2 * H:])
            dh_next = dh * z[t]                              # the direct path z h_{t-1}
            dh_next += dq @ w
        flat = dq_all.reshape(T * N, G)
        dw = flat.T @ h_prev.reshape(T * N, H)
        db_ih = dp_all.reshape(T * N, G).sum(axis=0)
        return _cast_grads(ctx, (dp_all, dh_next, dw, db_ih, flat.sum(axis=0)), ctx.inputs)


def recurrent_layer(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
                    b_ih: Tensor | None, b_hh: Tensor | None, reverse: bool = False):
    """One recurrent layer in one direction: the input projection, then the fused recurrence.

    Parameters
    ----------
    mode : {'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'}
    x : Tensor, shape (T, N, input_size)
    h0 : Tensor, shape (N, H); c0 : Tensor, shape (N, H), LSTM only (else ``None``)
    w_ih : Tensor, shape (gates*H, input_size); w_hh : Tensor, shape (gates*H, H)
    b_ih, b_hh : Tensor, shape (gates*H,), or ``None`` for no bias
    reverse : bool
        Read the sequence from the last step to the first (the backward
        direction of a bidirectional layer); ``output[t]`` is still the state at step t.

    Returns
    -------
    output : Tensor, shape (T, N, H)
        The hidden state of every step.
    h_n : Tensor, shape (N, H)
        The last state (at ``t = 0`` when ``reverse``).
    c_n : Tensor, shape (N, H), or None
        The last cell state (LSTM).

    Chapter 17: Recurrent networks.
    """
    T, N, D = x.shape
    G = w_ih.shape[0]
    # Input projection of every step at once: (T*N, D) @ (D, G) -> (T, N, G).
    xp = (x.reshape(T * N, D) @ w_ih.T).reshape(T, N, G)
    if b_ih is None:                                       # bias=False: constant zeros
        b_ih = b_hh = Tensor(np.zeros(G), dtype=xp.dtype)
    last = 0 if reverse else T - 1
    if mode == "LSTM":
        hc = LSTMFunction.apply(xp, h0, c0, w_hh, b_ih + b_hh, reverse=reverse)
        output = hc[0]
        return output, output[last], hc[1, last]
    if mode == "GRU":
        output = GRUFunction.apply(xp, h0, w_hh, b_ih, b_hh, reverse=reverse)
    else:
        nonlinearity = "tanh" if mode == "RNN_TANH" else "relu"
        output = RNNFunction.apply(xp, h0, w_hh, b_ih + b_hh, nonlinearity=nonlinearity, reverse=reverse)
    return output, output[last], None


# ---------------------------------------------------------------------------
# Argument checks shared by the layers and the cells
# ---------------------------------------------------------------------------


def _check_size(name: str, arg: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: {arg} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_nonlinearity(name: str, nonlinearity: Any) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


def _float_input(name: str, x: Any) -> Tensor:
    # Integer and boolean input is promoted to the default float dtype, as in
    # functional and conv; complex, string and object input raises TypeError.
    return check_float_tensor(name, "input", x)


def _check_state(name: str, what: str, state: Any, shape: tuple[int, ...], dtype) -> Tensor:
    state = as_tensor(state)
    if state.shape != shape:
        raise ValueError(f"{name}: {what} must have shape {shape}, got {state.shape}")
    if state.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be floating point, got dtype {state.dtype}")
    return state


def _uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...]) -> Parameter:
    return Parameter(rng.uniform(-bound, bound, size=shape))


# ---------------------------------------------------------------------------
# Multi-layer, optionally bidirectional layers
# ---------------------------------------------------------------------------


class _RNNBase(Module):
    """Shared code of :class:`RNN`, :class:`LSTM` and :class:`GRU`."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, rng: Any):
        name = type(self).__name__
        self.mode = mode
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.num_layers = _check_size(name, "num_layers", num_layers)
        self.dropout = F._check_dropout_p(name, dropout)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.rng = check_rng(rng)
        H, G = self.hidden_size, GATES[mode] * self.hidden_size
        bound = 1.0 / np.sqrt(H)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        # Attribute order = parameter order = PyTorch's state-dict order.
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else H * len(directions)
            for suffix in directions:
                setattr(self, f"weight_ih_l{layer}{suffix}", _uniform(self.rng, bound, (G, layer_input)))
                setattr(self, f"weight_hh_l{layer}{suffix}", _uniform(self.rng, bound, (G, H)))
                if self.bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", _uniform(self.rng, bound, (G,)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", _uniform(self.rng, bound, (G,)))

    def _weights(self, layer: int, suffix: str) -> tuple:
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _run(self, x: Any, hx: Any):
        """Check the arguments, run every layer and direction; return output, h_n and c_n."""
        name = type(self).__name__
        x = _float_input(name, x)
        if x.ndim not in (2, 3):
            expected = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
            raise ValueError(f"{name}: expected an input of shape {expected} or (T, input_size), "
                             f"got {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input_size {self.input_size} in the last axis, "
                             f"got input of shape {x.shape}")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, x.shape[1])             # (T, D) -> (T, 1, D)
        elif self.batch_first:
            x = x.transpose(1, 0, 2)                             # (N, T, D) -> (T, N, D)
        T, N = x.shape[0], x.shape[1]
        if T == 0:
            raise ValueError(f"{name}: the input sequence is empty (length 0)")
        directions = ("", "_reverse") if self.bidirectional else ("",)
        L, H = self.num_layers * len(directions), self.hidden_size
        state_shape = (L, N, H) if batched else (L, H)
        h0 = c0 = None
        if hx is not None:
            if self.mode == "LSTM":
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: the initial state must be a tuple (h_0, c_0)")
                h0 = _check_state(name, "h_0", hx[0], state_shape, x.dtype)
                c0 = _check_state(name, "c_0", hx[1], state_shape, x.dtype)
            else:
                h0 = _check_state(name, "h_0", hx, state_shape, x.dtype)
            if not batched:
                h0 = h0.reshape(L, 1, H)
                c0 = c0.reshape(L, 1, H) if c0 is not None else None
        zeros = Tensor(np.zeros((N, H)), dtype=x.dtype)
        h_last, c_last = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(directions):
                k = layer * len(directions) + d
                h_init = h0[k] if h0 is not None else zeros
                c_init = (c0[k] if c0 is not None else zeros) if self.mode == "LSTM" else None
                out, h_n, c_n = recurrent_layer(self.mode, layer_input, h_init, c_init,
                                                *self._weights(layer, suffix), reverse=d == 1)
                outputs.append(out)
                h_last.append(h_n)
                c_last.append(c_n)
            layer_input = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=2)
            if self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=self.training, rng=self.rng)
        output = layer_input                                     # (T, N, D*H)
        h_n = ops.stack(h_last, axis=0)                          # (L*D, N, H)
        c_n = ops.stack(c_last, axis=0) if self.mode == "LSTM" else None
        if not batched:
            output = output.reshape(T, -1)
            h_n = h_n.reshape(L, H)
            c_n = c_n.reshape(L, H) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(1, 0, 2)
        return output, h_n, c_n

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


_LAYER_DOC = """
    Parameters
    ----------
    input_size : int
        Features per time step.
    hidden_size : int
        Size :math:`H` of the hidden state.
    num_layers : int
        Stacked layers; layer :math:`l > 0` reads the outputs of layer :math:`l - 1`.
    bias : bool
        Whether to use ``bias_ih`` and ``bias_hh``.
    batch_first : bool
        Inputs and outputs are (N, T, features) instead of (T, N, features).
    dropout : float in [0, 1)
        Dropout on the outputs of every layer but the last, in training mode.
    bidirectional : bool
        Add a second direction that reads the sequence backwards; outputs of the two
        directions are concatenated (features ``2H``).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, all :math:`U(-1/\\sqrt H, 1/\\sqrt H)` as in
        PyTorch, and of the dropout masks.

    ``forward(input, hx=None)``: ``input`` of shape (T, N, input_size), or
    (N, T, input_size) with ``batch_first``, or unbatched (T, input_size);
    ``hx`` (zeros when omitted) of shape (num_layers * directions, N, H).
    Parameters are named and shaped as PyTorch's (``weight_ih_l{k}`` is
    (gates*H, features), ``weight_hh_l{k}`` is (gates*H, H), ``_reverse`` for the
    second direction), so a PyTorch state dict converted to NumPy arrays loads
    with ``load_state_dict`` and gives the same outputs.
"""


class RNN(_RNNBase):
    """Elman network: :math:`h_t = \\phi(x_t W_{ih}^\\top + b_{ih} + h_{t-1} W_{hh}^\\top + b_{hh})`.

    :math:`\\phi` is ``nonlinearity``, 'tanh' (default) or 'relu'. ``forward``
    returns ``(output, h_n)``: ``output`` holds the last layer's :math:`h_t` for
    every step, shape (T, N, directions*H); ``h_n`` the last state of every layer
    and direction, shape (num_layers*directions, N, H).

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, rng: Any = None):
        self.nonlinearity = _check_nonlinearity("RNN", nonlinearity)
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, rng)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        output, h_n, _ = self._run(input, hx)
        return output, h_n

    def extra_repr(self) -> str:
        extra = super().extra_repr()
        return extra + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RNNBase):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997) with a forget gate; gate order i, f, g, o.

    .. math::
        i, f, o = \\sigma(\\cdot),\\ g = \\tanh(\\cdot)\\ \\text{of}\\ x_t W_{ih}^\\top + b_{ih}
        + h_{t-1} W_{hh}^\\top + b_{hh},\\quad
        c_t = f \\odot c_{t-1} + i \\odot g,\\quad h_t = o \\odot \\tanh c_t .

    ``forward(input, (h_0, c_0))`` returns ``(output, (h_n, c_n))``, shapes as for
    :class:`RNN`, with ``c_n`` the last cell states.

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 rng: Any = None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, rng)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, h_n, c_n = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(_RNNBase):
    """Gated recurrent unit (Cho et al., 2014), gate order r, z, n as PyTorch.

    .. math::
        r, z = \\sigma(\\cdot),\\quad n = \\tanh(x_t W_{in}^\\top + b_{in} + r \\odot (h_{t-1} W_{hn}^\\top + b_{hn})),
        \\quad h_t = (1 - z) \\odot n + z \\odot h_{t-1}.

    ``forward(input, h_0)`` returns ``(output, h_n)``, shapes as for :class:`RNN`.

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 rng: Any = None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, rng)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        output, h_n, _ = self._run(input, hx)
        return output, h_n


# ---------------------------------------------------------------------------
# One-step cells
# ---------------------------------------------------------------------------


class _CellBase(Module):
    """Shared code of the cells: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool, rng: Any):
        name = type(self).__name__
        self.mode = mode
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        rng = check_rng(rng)
        H, G = self.hidden_size, GATES[mode] * self.hidden_size
        bound = 1.0 / np.sqrt(H)
        self.weight_ih = _uniform(rng, bound, (G, self.input_size))
        self.weight_hh = _uniform(rng, bound, (G, H))
        self.bias_ih = _uniform(rng, bound, (G,)) if bias else None
        self.bias_hh = _uniform(rng, bound, (G,)) if bias else None

    def _step(self, x: Any, hx: Any):
        """One step of :func:`recurrent_layer` (a sequence of length 1)."""
        name = type(self).__name__
        x = _float_input(name, x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected an input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        N, H = (x.shape[0] if batched else 1), self.hidden_size
        shape = (N, H) if batched else (H,)
        if hx is None:
            h = c = Tensor(np.zeros((N, H)), dtype=x.dtype)
        else:
            if self.mode == "LSTM":
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: the state must be a tuple (h, c)")
                h = _check_state(name, "h", hx[0], shape, x.dtype).reshape(N, H)
                c = _check_state(name, "c", hx[1], shape, x.dtype).reshape(N, H)
            else:
                h = _check_state(name, "hx", hx, shape, x.dtype).reshape(N, H)
                c = None
        _, h_new, c_new = recurrent_layer(self.mode, x.reshape(1, N, self.input_size), h,
                                          c if self.mode == "LSTM" else None,
                                          self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            h_new = h_new.reshape(H)
            c_new = c_new.reshape(H) if c_new is not None else None
        return h_new, c_new

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")


_CELL_DOC = """
    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, :math:`U(-1/\\sqrt H, 1/\\sqrt H)` as in PyTorch.

    Parameters ``weight_ih`` (gates*H, input_size), ``weight_hh`` (gates*H, H),
    ``bias_ih`` and ``bias_hh`` (gates*H,), named as PyTorch's. Input (N, input_size)
    or unbatched (input_size,); the state defaults to zeros.
"""


class RNNCell(_CellBase):
    """One step of :class:`RNN`: ``RNNCell(...)(x, h) -> h'``, shapes (N, H).

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 rng: Any = None):
        self.nonlinearity = _check_nonlinearity("RNNCell", nonlinearity)
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         bias, rng)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx)[0]


class LSTMCell(_CellBase):
    """One step of :class:`LSTM`: ``LSTMCell(...)(x, (h, c)) -> (h', c')``.

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng: Any = None):
        super().__init__("LSTM", input_size, hidden_size, bias, rng)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        return self._step(input, hx)


class GRUCell(_CellBase):
    """One step of :class:`GRU`: ``GRUCell(...)(x, h) -> h'``.

    Chapter 17: Recurrent networks.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng: Any = None):
        super().__init__("GRU", input_size, hidden_size, bias, rng)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        return self._step(input, hx)[0]


# The classes share the description of their arguments.
for _cls in (RNN, LSTM, GRU):
    _cls.__doc__ += _LAYER_DOC
for _cls in (RNNCell, LSTMCell, GRUCell):
    _cls.__doc__ += _CELL_DOC
del _cls
