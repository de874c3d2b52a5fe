"""Recurrent layers (Chapter 17): the fused recurrences against the primitive-op
reference and finite differences in float64, PyTorch parity from stored
reference numbers (tests/data/rnn_refs.npz, written by make_rnn_refs.py), a
hand-computed LSTM step, shapes and options, and the errors the layers give.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mlcore as mc
from mlcore import nn
from mlcore.nn.recurrent import GATES, recurrent_layer
from mlcore.nn.recurrent_reference import recurrent_layer_reference

TOL = 1e-6
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
REFS = np.load(Path(__file__).parent / "data" / "rnn_refs.npz")


def layer_arrays(mode, T=4, N=2, D=3, H=3, bias=True, seed=0):
    """Input, initial states and weights of one layer, float64, scaled so that gates are not saturated."""
    rng = np.random.default_rng(seed)
    G = GATES[mode] * H
    arrays = [rng.standard_normal((T, N, D)), 0.5 * rng.standard_normal((N, H))]
    if mode == "LSTM":
        arrays.append(0.5 * rng.standard_normal((N, H)))
    arrays += [0.6 * rng.standard_normal((G, D)), 0.6 * rng.standard_normal((G, H))]
    if bias:
        arrays += [0.3 * rng.standard_normal(G), 0.3 * rng.standard_normal(G)]
    if mode == "RNN_RELU":  # keep pre-activations away from the kink at 0, where differences are meaningless
        arrays[-1 if bias else -2] = arrays[-1 if bias else -2] + (0.8 if bias else 0.0)
    return arrays


def as_call(layer_fn, mode, bias, reverse, outputs="all"):
    """A function of tensors returning one tensor that concatenates every output of the layer."""
    def call(*tensors):
        x, h0, *rest = tensors
        c0 = rest.pop(0) if mode == "LSTM" else None
        w_ih, w_hh = rest[:2]
        b_ih, b_hh = (rest[2], rest[3]) if bias else (None, None)
        out, h_n, c_n = layer_fn(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        parts = [out.reshape(-1), h_n.reshape(-1)] + ([c_n.reshape(-1)] if c_n is not None else [])
        return mc.concatenate(parts)
    return call


def gradients(fn, arrays, upstream):
    tensors = [mc.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    y.backward(upstream)
    return y.data, [t.grad for t in tensors]


# ---------------------------------------------------------------------------
# Gradients: fused vs finite differences vs reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_layer_gradcheck(mode, reverse, bias):
    arrays = layer_arrays(mode, bias=bias, seed=1 + reverse)
    result = mc.gradcheck(as_call(recurrent_layer, mode, bias, reverse), arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_reference_layer_gradcheck(mode, reverse):
    arrays = layer_arrays(mode, seed=3)
    result = mc.gradcheck(as_call(recurrent_layer_reference, mode, True, reverse), arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_matches_reference(mode, reverse, bias):
    arrays = layer_arrays(mode, T=7, N=3, D=4, H=5, bias=bias, seed=4)
    fused = as_call(recurrent_layer, mode, bias, reverse)
    reference = as_call(recurrent_layer_reference, mode, bias, reverse)
    n_out = fused(*[mc.Tensor(a, dtype=np.float64) for a in arrays]).shape
    upstream = np.random.default_rng(5).standard_normal(n_out)
    (y_f, g_f), (y_r, g_r) = gradients(fused, arrays, upstream), gradients(reference, arrays, upstream)
    assert np.allclose(y_f, y_r, rtol=0, atol=1e-12)
    for a, b in zip(g_f, g_r):
        assert np.allclose(a, b, rtol=1e-10, atol=1e-12)


def float64_module(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_module_gradcheck_two_layers_bidirectional(cls):
    """Gradients of the stacked, bidirectional layer with respect to the input and the initial state."""
    m = float64_module(cls(3, 3, num_layers=2, bidirectional=True, batch_first=True, rng=0))
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 3))
    h0 = 0.5 * rng.standard_normal((4, 2, 3))
    if cls is nn.LSTM:
        c0 = 0.5 * rng.standard_normal((4, 2, 3))
        def fn(x, h0, c0):
            out, (h, c) = m(x, (h0, c0))
            return mc.concatenate([out.reshape(-1), h.reshape(-1), c.reshape(-1)])
        arrays = [x, h0, c0]
    else:
        def fn(x, h0):
            out, h = m(x, h0)
            return mc.concatenate([out.reshape(-1), h.reshape(-1)])
        arrays = [x, h0]
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradcheck(cls):
    m = float64_module(cls(3, 4, rng=1))
    rng = np.random.default_rng(7)
    x, h = rng.standard_normal((2, 3)), 0.5 * rng.standard_normal((2, 4))
    if cls is nn.LSTMCell:
        c = 0.5 * rng.standard_normal((2, 4))
        fn = lambda x, h, c: mc.concatenate(list(m(x, (h, c))), axis=1)  # noqa: E731
        arrays = [x, h, c]
    else:
        fn, arrays = (lambda x, h: m(x, h)), [x, h]
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


# ---------------------------------------------------------------------------
# PyTorch parity from stored numbers
# ---------------------------------------------------------------------------

CONSTRUCT = {
    "rnn_tanh": lambda: nn.RNN(3, 4),
    "rnn_relu_2layer_bi": lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bidirectional=True),
    "lstm": lambda: nn.LSTM(3, 4),
    "lstm_2layer_bi_batch_first": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
    "lstm_nobias": lambda: nn.LSTM(2, 3, bias=False),
    "gru": lambda: nn.GRU(3, 4),
    "gru_2layer_bi": lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True),
    "gru_unbatched": lambda: nn.GRU(3, 4, num_layers=2),
    "rnncell": lambda: nn.RNNCell(3, 4),
    "lstmcell": lambda: nn.LSTMCell(3, 4),
    "grucell": lambda: nn.GRUCell(3, 4),
}


def refs(case):
    prefix = case + "/"
    return {k[len(prefix):]: REFS[k] for k in REFS.files if k.startswith(prefix)}


@pytest.mark.parametrize("case", sorted(CONSTRUCT))
def test_pytorch_parity(case):
    r = refs(case)
    assert r, f"no stored reference for {case}"
    m = CONSTRUCT[case]()
    params = {k[len("param/"):]: v for k, v in r.items() if k.startswith("param/")}
    # Same names, shapes and order as PyTorch's state dict.
    assert list(m.state_dict()) == list(params)
    m.load_state_dict(params)
    float64_module(m)
    x = mc.Tensor(r["x"], dtype=np.float64, requires_grad=True)
    states = [mc.Tensor(r[f"state{k}"], dtype=np.float64, requires_grad=True)
              for k in range(2) if f"state{k}" in r]
    lstm = isinstance(m, (nn.LSTM, nn.LSTMCell))
    if states:
        result = m(x, tuple(states) if lstm else states[0])
    else:
        result = m(x)
    if isinstance(m, (nn.RNNCell, nn.LSTMCell, nn.GRUCell)):
        outputs = list(result) if lstm else [result]
    else:
        output, h = result
        outputs = [output] + (list(h) if lstm else [h])
    loss = 0
    for k, out in enumerate(outputs):
        np.testing.assert_allclose(out.data, r[f"out{k}"], rtol=1e-10, atol=1e-12)
        loss = loss + (out * r[f"weight{k}"]).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad, r["grad_x"], rtol=1e-9, atol=1e-12)
    for k, s in enumerate(states):
        np.testing.assert_allclose(s.grad, r[f"grad_state{k}"], rtol=1e-9, atol=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, r[f"grad/{name}"], rtol=1e-9, atol=1e-12, err_msg=name)


def test_lstm_cell_by_hand():
    """One LSTM step with small integer-like weights, computed with the formulas in plain NumPy."""
    cell = nn.LSTMCell(2, 1)
    w_ih = np.array([[0.5, -1.0], [1.0, 0.0], [0.0, 2.0], [-0.5, 0.5]])  # rows: i, f, g, o
    w_hh = np.array([[1.0], [-1.0], [0.5], [2.0]])
    b_ih = np.array([0.0, 1.0, 0.0, -1.0])
    b_hh = np.array([0.5, 0.0, 0.0, 0.0])
    cell.load_state_dict(dict(weight_ih=w_ih, weight_hh=w_hh, bias_ih=b_ih, bias_hh=b_hh))
    float64_module(cell)
    x, h, c = np.array([[1.0, 2.0]]), np.array([[0.5]]), np.array([[-1.0]])
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    # a = W_ih x + b_ih + W_hh h + b_hh, gate by gate:
    i = sig(0.5 * 1 - 1.0 * 2 + 0.0 + 1.0 * 0.5 + 0.5)      # sigma(-0.5)
    f = sig(1.0 * 1 + 0.0 * 2 + 1.0 - 1.0 * 0.5)             # sigma(1.5)
    g = np.tanh(0.0 * 1 + 2.0 * 2 + 0.5 * 0.5)               # tanh(4.25)
    o = sig(-0.5 * 1 + 0.5 * 2 - 1.0 + 2.0 * 0.5)            # sigma(0.5)
    c_new = f * -1.0 + i * g
    h_new = o * np.tanh(c_new)
    h1, c1 = cell(mc.Tensor(x, dtype=np.float64), (mc.Tensor(h, dtype=np.float64), mc.Tensor(c, dtype=np.float64)))
    assert np.allclose(c1.data, c_new, rtol=0, atol=1e-14)
    assert np.allclose(h1.data, h_new, rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------
# Shapes, options, dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_shapes_and_parameter_names(cls):
    m = cls(5, 7, num_layers=3, bidirectional=True, rng=0)
    gates = {nn.RNN: 1, nn.LSTM: 4, nn.GRU: 3}[cls]
    names = [n for n, _ in m.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4] == "weight_ih_l0_reverse" and len(names) == 3 * 2 * 4
    assert m.weight_ih_l0.shape == (gates * 7, 5) and m.weight_ih_l1.shape == (gates * 7, 14)
    bound = 1 / np.sqrt(7)
    assert all(np.abs(p.data).max() <= bound for p in m.parameters())
    assert all(p.dtype == np.float32 for p in m.parameters())
    x = mc.Tensor(np.random.default_rng(0).standard_normal((6, 2, 5)))
    out, state = m(x)
    h = state[0] if cls is nn.LSTM else state
    assert out.shape == (6, 2, 14) and h.shape == (6, 2, 7) and out.dtype == np.float32
    # The last layer's final states are the ends of its output sequence.
    assert np.allclose(h.data[-2], out.data[-1, :, :7]) and np.allclose(h.data[-1], out.data[0, :, 7:])


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_batch_first_and_unbatched_agree_with_default_layout(cls):
    m = float64_module(cls(3, 4, num_layers=2, rng=2))
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    out, _ = m(mc.Tensor(x, dtype=np.float64))
    m.batch_first = True
    out_bf, _ = m(mc.Tensor(x.transpose(1, 0, 2), dtype=np.float64))
    assert np.allclose(out_bf.data.transpose(1, 0, 2), out.data)
    m.batch_first = False
    out_1, state_1 = m(mc.Tensor(x[:, 1], dtype=np.float64))
    assert out_1.shape == (5, 4) and np.allclose(out_1.data, out.data[:, 1])
    h_1 = state_1[0] if cls is nn.LSTM else state_1
    assert h_1.shape == (2, 4)


def test_initial_state_is_used_and_continues_a_sequence():
    """Running two halves with the state handed over equals running the whole sequence."""
    m = float64_module(nn.LSTM(3, 4, num_layers=2, rng=3))
    x = mc.Tensor(np.random.default_rng(2).standard_normal((8, 2, 3)), dtype=np.float64)
    whole, (h, c) = m(x)
    first, state = m(x[:5])
    second, (h2, c2) = m(x[5:], state)
    assert np.allclose(np.concatenate([first.data, second.data]), whole.data, atol=1e-14)
    assert np.allclose(h2.data, h.data) and np.allclose(c2.data, c.data)


def test_dropout_between_layers_only_in_training():
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5, rng=4)
    x = mc.Tensor(np.random.default_rng(3).standard_normal((5, 2, 3)))
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.data, b.data)          # different masks between the layers
    m.eval()
    c, _ = m(x)
    d, _ = m(x)
    assert np.array_equal(c.data, d.data)


def test_same_seed_same_weights_and_float32_training_step():
    a, b = nn.LSTM(3, 4, rng=5), nn.LSTM(3, 4, rng=5)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    x = mc.Tensor(np.random.default_rng(4).standard_normal((5, 2, 3)))
    out, _ = a(x)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == np.float32 for p in a.parameters())


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    (dict(input_size=0, hidden_size=3), "input_size"),
    (dict(input_size=3, hidden_size=0), "hidden_size"),
    (dict(input_size=3, hidden_size=-2), "hidden_size"),
    (dict(input_size=3, hidden_size=2.5), "hidden_size"),
    (dict(input_size=3, hidden_size=3, num_layers=0), "num_layers"),
    (dict(input_size=3, hidden_size=3, dropout=1.0), "p is the probability"),
])
@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_bad_constructor_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_bad_inputs_and_states(cls):
    m = cls(3, 4, num_layers=2)
    x = mc.Tensor(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="input_size 3"):
        m(mc.Tensor(np.zeros((5, 2, 4))))
    with pytest.raises(ValueError, match="expected an input of shape"):
        m(mc.Tensor(np.zeros((5, 2, 3, 1))))
    with pytest.raises(TypeError, match="real-valued"):
        m(np.zeros((5, 2, 3), dtype=np.complex128))
    # integer input is promoted to the default float dtype, as in functional and conv
    x_int = np.arange(30).reshape(5, 2, 3) % 3
    out_int, out_float = m(x_int)[0], m(mc.Tensor(x_int.astype(mc.get_default_dtype())))[0]
    assert out_int.dtype.kind == "f" and np.array_equal(out_int.data, out_float.data)
    good = np.zeros((2, 2, 4))
    bad = np.zeros((1, 2, 4))
    if cls is nn.LSTM:
        with pytest.raises(ValueError, match=r"h_0 must have shape \(2, 2, 4\)"):
            m(x, (bad, good))
        with pytest.raises(ValueError, match=r"c_0 must have shape"):
            m(x, (good, bad))
        with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
            m(x, good)
    else:
        with pytest.raises(ValueError, match=r"h_0 must have shape \(2, 2, 4\)"):
            m(x, bad)


def test_cell_errors():
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"expected an input of shape \(N, 3\)"):
        cell(mc.Tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"hx must have shape \(2, 4\)"):
        cell(mc.Tensor(np.zeros((2, 3))), np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"tuple \(h, c\)"):
        nn.LSTMCell(3, 4)(mc.Tensor(np.zeros((2, 3))), np.zeros((2, 4)))
