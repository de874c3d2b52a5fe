"""Attention: fused vs reference, finite differences, masks, PyTorch parity, errors (Chapter 18).

The PyTorch numbers come from tests/data/make_attention_refs.py (stored in
attention_refs.npz), so the parity tests run without PyTorch; one more test
compares with live PyTorch when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mlcore as mc
from mlcore import functional as F
from mlcore import attention as A
from mlcore import nn
from mlcore.nn.attention import MultiheadAttention, PositionalEncoding, TransformerEncoder, TransformerEncoderLayer

TOL = 1e-6
REFS = np.load(Path(__file__).parent / "data" / "attention_refs.npz")


@pytest.fixture
def float64():
    previous = mc.get_default_dtype()
    mc.set_default_dtype(np.float64)
    yield
    mc.set_default_dtype(previous)


def case(name: str) -> dict[str, np.ndarray]:
    prefix = name + "/"
    return {k[len(prefix):]: REFS[k] for k in REFS.files if k.startswith(prefix)}


def state(c: dict[str, np.ndarray], what: str = "state") -> dict[str, np.ndarray]:
    prefix = what + "/"
    return {k[len(prefix):]: v for k, v in c.items() if k.startswith(prefix)}


def qkv(rng, q_shape, k_shape, v_shape):
    return rng.standard_normal(q_shape), rng.standard_normal(k_shape), rng.standard_normal(v_shape)


def grads(fn, *arrays, r_seed=0):
    """Output and input gradients of sum(fn(*arrays) * r), all float64."""
    tensors = [mc.Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    out = fn(*tensors)
    r = np.random.default_rng(r_seed).standard_normal(out.shape)
    (out * mc.Tensor(r, dtype=np.float64)).sum().backward()
    return out.data, [t.grad for t in tensors]


# ---------------------------------------------------------------------------
# Finite differences and fused vs reference
# ---------------------------------------------------------------------------

SHAPES = [
    ((3, 4), (5, 4), (5, 2)),              # no batch
    ((2, 3, 4), (2, 5, 4), (2, 5, 6)),     # batch
    ((2, 2, 3, 4), (1, 2, 5, 4), (2, 1, 5, 3)),  # broadcast batch and head axes
]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("fn", [A.scaled_dot_product_attention, A.scaled_dot_product_attention_reference],
                         ids=["fused", "reference"])
def test_gradcheck_with_float_mask(fn, shapes):
    rng = np.random.default_rng(1)
    q, k, v = qkv(rng, *shapes)
    mask = rng.standard_normal(shapes[0][:-1] + (shapes[1][-2],))
    result = mc.gradcheck(lambda q, k, v, m: fn(q, k, v, attn_mask=m), [q, k, v, mask])
    assert result.max_error < TOL, result.errors


@pytest.mark.parametrize("fn", [A.scaled_dot_product_attention, A.scaled_dot_product_attention_reference],
                         ids=["fused", "reference"])
def test_gradcheck_with_causal_mask_dropout_and_scale(fn):
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng, (2, 5, 3), (2, 5, 3), (2, 5, 4))
    result = mc.gradcheck(lambda q, k, v: fn(q, k, v, is_causal=True, dropout_p=0.3, scale=0.7, rng=5), [q, k, v])
    assert result.max_error < TOL, result.errors


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal", "dropout"])
def test_fused_matches_reference(shapes, mask_kind):
    rng = np.random.default_rng(3)
    q, k, v = qkv(rng, *shapes)
    L, S = shapes[0][-2], shapes[1][-2]
    kw = {}
    if mask_kind == "bool":
        mask = rng.random((L, S)) > 0.5
        mask[:, 0] = True  # no fully masked row: the reference gives NaN there
        kw["attn_mask"] = mask
    elif mask_kind == "float":
        kw["attn_mask"] = rng.standard_normal((L, S))
    elif mask_kind == "causal":
        kw["is_causal"] = True
    elif mask_kind == "dropout":
        kw.update(dropout_p=0.4, rng=11)
    out_f, g_f = grads(lambda q, k, v: A.scaled_dot_product_attention(q, k, v, **kw), q, k, v)
    out_r, g_r = grads(lambda q, k, v: A.scaled_dot_product_attention_reference(q, k, v, **kw), q, k, v)
    np.testing.assert_allclose(out_f, out_r, atol=1e-12)
    for a, b in zip(g_f, g_r):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    q, k, v = (mc.Tensor(a.astype(np.float32), requires_grad=True) for a in qkv(rng, (3, 4), (5, 4), (5, 4)))
    out = A.scaled_dot_product_attention(q, k, v, is_causal=True)
    out.sum().backward()
    assert out.dtype == np.float32 and q.grad.dtype == np.float32 and k.grad.dtype == np.float32


# ---------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------


def test_bool_mask_equals_minus_infinity_float_mask_and_causal_equals_tril():
    rng = np.random.default_rng(5)
    q, k, v = qkv(rng, (2, 4, 3), (2, 4, 3), (2, 4, 3))
    tril = np.tril(np.ones((4, 4), dtype=bool))
    a = A.scaled_dot_product_attention(q, k, v, attn_mask=tril).data
    b = A.scaled_dot_product_attention(q, k, v, attn_mask=np.where(tril, 0.0, -np.inf)).data
    c = A.scaled_dot_product_attention(q, k, v, is_causal=True).data
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(A.causal_mask(4), tril)


def test_causal_output_ignores_the_future():
    rng = np.random.default_rng(6)
    q, k, v = qkv(rng, (4, 3), (4, 3), (4, 3))
    base = A.scaled_dot_product_attention(q, k, v, is_causal=True).data
    k2, v2 = k.copy(), v.copy()
    k2[3] += 5.0
    v2[3] -= 5.0
    changed = A.scaled_dot_product_attention(q, k2, v2, is_causal=True).data
    np.testing.assert_array_equal(base[:3], changed[:3])
    assert not np.allclose(base[3], changed[3])


def test_fully_masked_row_gives_zero_output_and_zero_gradient():
    rng = np.random.default_rng(7)
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    out, (gq, gk, gv) = grads(lambda q, k, v: A.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                              *qkv(rng, (3, 2), (4, 2), (4, 2)))
    assert np.all(out[1] == 0) and np.all(gq[1] == 0)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(gk)) and np.all(np.isfinite(gv))


def test_key_padding_mask_hides_padded_keys(float64):
    rng = np.random.default_rng(8)
    mha = MultiheadAttention(6, 2, batch_first=True, rng=0)
    x = rng.standard_normal((2, 5, 6))
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, 3:] = True
    out, w = mha(x, x, x, key_padding_mask=pad)
    x2 = x.copy()
    x2[0, 3:] = rng.standard_normal((2, 6))  # new content at the padded positions
    out2, _ = mha(x2, x2, x2, key_padding_mask=pad)
    np.testing.assert_allclose(out.data[0, :3], out2.data[0, :3], atol=1e-12)
    assert np.all(w.data[0, :, 3:] == 0)
    np.testing.assert_allclose(w.data.sum(-1), 1.0, atol=1e-12)


def test_module_masks_bool_true_means_masked_out(float64):
    rng = np.random.default_rng(9)
    mha = MultiheadAttention(4, 1, batch_first=True, rng=1)
    x = rng.standard_normal((1, 4, 4))
    upper = ~np.tril(np.ones((4, 4), dtype=bool))
    a = mha(x, x, x, attn_mask=upper)
    b = mha(x, x, x, attn_mask=np.where(upper, -np.inf, 0.0))
    c = mha(x, x, x, is_causal=True)
    for other in (b, c):
        np.testing.assert_allclose(a[0].data, other[0].data, atol=1e-12)
        np.testing.assert_allclose(a[1].data, other[1].data, atol=1e-12)
    assert np.all(a[1].data[0][upper] == 0)


# ---------------------------------------------------------------------------
# Modules: weights path vs fused path, gradients, permutation equivariance
# ---------------------------------------------------------------------------


def test_mha_need_weights_paths_agree_and_weights_average_heads(float64):
    rng = np.random.default_rng(10)
    mha = MultiheadAttention(8, 4, rng=2)
    x = rng.standard_normal((5, 2, 8))
    out_w, w = mha(x, x, x, average_attn_weights=False)
    out_f, none = mha(x, x, x, need_weights=False)
    _, w_avg = mha(x, x, x)
    assert none is None and w.shape == (2, 4, 5, 5) and w_avg.shape == (2, 5, 5)
    np.testing.assert_allclose(out_w.data, out_f.data, atol=1e-12)
    np.testing.assert_allclose(w_avg.data, w.data.mean(axis=1), atol=1e-12)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_gradcheck_inputs(need_weights):
    rng = np.random.default_rng(11)
    previous = mc.get_default_dtype()
    mc.set_default_dtype(np.float64)
    try:
        mha = MultiheadAttention(4, 2, kdim=3, vdim=5, batch_first=True, rng=3)
    finally:
        mc.set_default_dtype(previous)
    q, k, v = qkv(rng, (2, 3, 4), (2, 4, 3), (2, 4, 5))
    pad = np.array([[False, False, True, False], [False, False, False, False]])
    result = mc.gradcheck(lambda q, k, v: mha(q, k, v, key_padding_mask=pad, need_weights=need_weights)[0],
                          [q, k, v])
    assert result.max_error < TOL, result.errors


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck_input(norm_first):
    rng = np.random.default_rng(12)
    previous = mc.get_default_dtype()
    mc.set_default_dtype(np.float64)
    try:
        layer = TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu",
                                           norm_first=norm_first, rng=4)
    finally:
        mc.set_default_dtype(previous)
    result = mc.gradcheck(lambda x: layer(x, is_causal=True), [rng.standard_normal((3, 2, 4))])
    assert result.max_error < TOL, result.errors


def test_self_attention_is_permutation_equivariant(float64):
    rng = np.random.default_rng(13)
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, rng=5)
    x = rng.standard_normal((1, 6, 8))
    perm = rng.permutation(6)
    np.testing.assert_allclose(layer(x[:, perm]).data, layer(x).data[:, perm], atol=1e-12)
    pos = PositionalEncoding(8, batch_first=True)
    assert not np.allclose(layer(pos(x[:, perm])).data, layer(pos(x)).data[:, perm], atol=1e-3)


def test_dropout_only_in_training_and_reproducible():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 2, 8)).astype(np.float32)
    a = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, rng=6)
    b = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, rng=6)
    np.testing.assert_array_equal(a(x).data, b(x).data)  # same seed, same weights and masks
    assert not np.allclose(a(x).data, a(x).data)  # new masks every call
    a.eval()
    np.testing.assert_array_equal(a(x).data, a(x).data)


def test_initialisation_follows_pytorch():
    E = 16
    mha = MultiheadAttention(E, 4, rng=0)
    bound = np.sqrt(6 / (E + 3 * E))  # Xavier-uniform on a (3E, E) weight
    w = mha.in_proj_weight.data
    assert w.shape == (3 * E, E) and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(mha.in_proj_bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / np.sqrt(E)
    names = [n for n, _ in TransformerEncoderLayer(E, 4, rng=0).named_parameters()]
    assert names == ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                     "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                     "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    layer = TransformerEncoderLayer(E, 4, dim_feedforward=32, rng=0)
    assert layer.linear1.weight.shape == (32, E) and layer.linear2.weight.shape == (E, 32)


def test_encoder_copies_start_equal_but_draw_different_masks():
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, rng=0)
    enc = TransformerEncoder(layer, 3)
    names = [n for n, _ in enc.named_parameters()]
    assert names[0] == "layers.0.self_attn.in_proj_weight" and len(names) == 3 * 12
    first, second = enc.layers[0], enc.layers[1]
    np.testing.assert_array_equal(first.linear1.weight.data, second.linear1.weight.data)
    assert first.linear1.weight is not second.linear1.weight
    assert first.dropout.rng is not second.dropout.rng
    assert first.dropout.rng.random() != second.dropout.rng.random()


# ---------------------------------------------------------------------------
# PyTorch parity (numbers from tests/data/make_attention_refs.py)
# ---------------------------------------------------------------------------

SDPA_CASES = {
    "sdpa_plain": {}, "sdpa_bool": {}, "sdpa_float": {}, "sdpa_causal": {"is_causal": True},
    "sdpa_heads": {"scale": 0.3},
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_matches_pytorch(name):
    c = case(name)
    kw = dict(SDPA_CASES[name])
    if "mask" in c:
        kw["attn_mask"] = c["mask"]
    out, (gq, gk, gv) = grads(lambda q, k, v: A.scaled_dot_product_attention(q, k, v, **kw), c["q"], c["k"], c["v"])
    np.testing.assert_allclose(out, c["out"], atol=1e-12)
    tensors = [mc.Tensor(c[n], requires_grad=True, dtype=np.float64) for n in "qkv"]
    (A.scaled_dot_product_attention(*tensors, **kw) * mc.Tensor(c["r"], dtype=np.float64)).sum().backward()
    for t, name_g in zip(tensors, ("gq", "gk", "gv")):
        np.testing.assert_allclose(t.grad, c[name_g], atol=1e-12)


def _run_module(module, c, call):
    module.load_state_dict(state(c))
    module.eval()
    inputs = {k: (mc.Tensor(v, requires_grad=True, dtype=np.float64) if v.dtype.kind == "f" and
                  not k.endswith("mask") else v) for k, v in c.items() if "/" not in k and k not in
              ("r", "out", "weights") and not k.startswith("grad_")}
    result = call(module, inputs)
    out, weights = result if isinstance(result, tuple) else (result, None)
    np.testing.assert_allclose(out.data, c["out"], atol=1e-10)
    if "weights" in c:
        np.testing.assert_allclose(weights.data, c["weights"], atol=1e-12)
    (out * mc.Tensor(c["r"], dtype=np.float64)).sum().backward()
    for k, t in inputs.items():
        if isinstance(t, mc.Tensor):
            np.testing.assert_allclose(t.grad, c[f"grad_{k}"], atol=1e-10, err_msg=k)
    own = dict(module.named_parameters())
    for k, g in state(c, "pgrad").items():
        np.testing.assert_allclose(own[k].grad, g, atol=1e-10, err_msg=k)


def test_mha_self_attention_matches_pytorch(float64):
    _run_module(MultiheadAttention(8, 2), case("mha_self"),
                lambda m, a: m(a["x"], a["x"], a["x"], key_padding_mask=a["key_padding_mask"],
                               attn_mask=a["attn_mask"], average_attn_weights=False))


def test_mha_cross_attention_kdim_vdim_matches_pytorch(float64):
    _run_module(MultiheadAttention(8, 2, kdim=3, vdim=7, batch_first=True), case("mha_cross"),
                lambda m, a: m(a["query"], a["key"], a["value"], attn_mask=a["attn_mask"]))


def test_mha_unbatched_without_bias_matches_pytorch(float64):
    _run_module(MultiheadAttention(8, 4, bias=False), case("mha_unbatched"),
                lambda m, a: m(a["query"], a["key"], a["value"]))


def test_encoder_layers_match_pytorch(float64):
    _run_module(TransformerEncoderLayer(8, 2, dim_feedforward=16), case("enc_post"),
                lambda m, a: m(a["src"], src_key_padding_mask=a["src_key_padding_mask"]))
    _run_module(TransformerEncoderLayer(8, 2, dim_feedforward=12, activation="gelu", batch_first=True,
                                           norm_first=True), case("enc_pre"),
                lambda m, a: m(a["src"], src_mask=a["src_mask"]))


def test_encoder_stack_matches_pytorch(float64):
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, norm_first=True)
    _run_module(TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), case("encoder"), lambda m, a: m(a["src"]))


def test_live_pytorch_parity(float64):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    ours = TransformerEncoderLayer(12, 3, dim_feedforward=20, batch_first=True, norm_first=True)
    theirs = torch.nn.TransformerEncoderLayer(12, 3, dim_feedforward=20, batch_first=True, norm_first=True)
    theirs = theirs.double().eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    x = rng.standard_normal((2, 7, 12))
    np.testing.assert_allclose(ours(x, is_causal=True).data,
                               theirs(torch.tensor(x), src_mask=torch.nn.Transformer.generate_square_subsequent_mask(
                                   7, dtype=torch.float64), is_causal=True).detach().numpy(), atol=1e-10)


def test_exported_where_pytorch_has_them():
    assert F.scaled_dot_product_attention is A.scaled_dot_product_attention
    assert nn.MultiheadAttention is MultiheadAttention and nn.TransformerEncoderLayer is TransformerEncoderLayer
    assert nn.TransformerEncoder is TransformerEncoder and nn.PositionalEncoding is PositionalEncoding


# ---------------------------------------------------------------------------
# Positional encoding
# ---------------------------------------------------------------------------


def test_sinusoidal_encoding_formula_and_shift_as_rotation():
    pe = A.sinusoidal_positional_encoding(50, 6, dtype=np.float64)
    t, i = 7, 1
    assert pe[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 6)))
    assert pe[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 6)))
    # PE_{t+3} = PE_t R for one fixed matrix R, found by least squares on some positions, exact on all.
    R, *_ = np.linalg.lstsq(pe[:20], pe[3:23], rcond=None)
    np.testing.assert_allclose(pe[:47] @ R, pe[3:50], atol=1e-9)
    assert A.sinusoidal_positional_encoding(4, 5).shape == (4, 5)


def test_positional_encoding_module_layouts():
    pos_seq, pos_batch = PositionalEncoding(4), PositionalEncoding(4, batch_first=True)
    x = np.zeros((3, 2, 4), dtype=np.float32)
    pe = A.sinusoidal_positional_encoding(3, 4)
    np.testing.assert_allclose(pos_seq(x).data, np.broadcast_to(pe[:, None], (3, 2, 4)))
    np.testing.assert_allclose(pos_batch(x).data, np.broadcast_to(pe[:2][None], (3, 2, 4)))
    np.testing.assert_allclose(pos_seq(x[:, 0]).data, pe)


# ---------------------------------------------------------------------------
# Clear errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("args,kwargs,error,match", [
    ((np.zeros((3, 4)), np.zeros((5, 3)), np.zeros((5, 4))), {}, ValueError, "same last dimension"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((6, 4))), {}, ValueError, "same length"),
    ((np.zeros(4), np.zeros((5, 4)), np.zeros((5, 4))), {}, ValueError, "query must have shape"),
    ((np.zeros((2, 3, 4)), np.zeros((3, 5, 4)), np.zeros((3, 5, 4))), {}, ValueError, "do not broadcast"),
    ((np.zeros((3, 4), int), np.zeros((5, 4)), np.zeros((5, 4))), {}, TypeError, "floating point"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4))), {"attn_mask": np.zeros((3, 5), int)}, TypeError,
     "boolean"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4))), {"attn_mask": np.zeros((3, 4), bool)}, ValueError,
     "does not broadcast"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4))), {"attn_mask": np.ones((3, 5), bool),
                                                              "is_causal": True}, ValueError, "not both"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4))), {"dropout_p": 1.0}, ValueError, "dropout_p"),
    ((np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4))), {"scale": "big"}, ValueError, "scale"),
])
def test_sdpa_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        A.scaled_dot_product_attention(*args, **kwargs)


def test_sdpa_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="share a dtype"):
        A.scaled_dot_product_attention(mc.Tensor(np.zeros((3, 4)), dtype=np.float32),
                                       mc.Tensor(np.zeros((5, 4)), dtype=np.float64), np.zeros((5, 4)))


def test_module_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim must be a positive integer"):
        MultiheadAttention(0, 1)
    with pytest.raises(ValueError, match="dropout"):
        MultiheadAttention(8, 2, dropout=1.5)
    with pytest.raises(ValueError, match="not supported"):
        MultiheadAttention(8, 2, add_bias_kv=True)
    with pytest.raises(ValueError, match="activation"):
        TransformerEncoderLayer(8, 2, activation="swish")
    mha = MultiheadAttention(8, 2, batch_first=True)
    x = np.zeros((2, 5, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="must have 8 features"):
        mha(x, np.zeros((2, 5, 7), np.float32), np.zeros((2, 5, 7), np.float32))
    with pytest.raises(ValueError, match="3-D"):
        mha(x, x[0], x[0])
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=np.zeros((2, 4), bool))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        mha(x, x, x, attn_mask=np.zeros((5, 4), bool))
    with pytest.raises(TypeError, match="attn_mask must be boolean"):
        mha(x, x, x, attn_mask=np.zeros((5, 5), int))
    with pytest.raises(ValueError, match="batch sizes"):
        mha(x, x[:1], x[:1])
    with pytest.raises(TypeError, match="query must be floating point"):
        mha(x.astype(int), x, x)
    with pytest.raises(TypeError, match="src must be floating point"):
        TransformerEncoderLayer(8, 2, norm_first=True)(np.zeros((5, 8), dtype=int))
    with pytest.raises(ValueError, match="length must be a positive integer"):
        A.sinusoidal_positional_encoding(0, 4)
    with pytest.raises(ValueError, match="exceeds max_len"):
        PositionalEncoding(8, max_len=4)(np.zeros((5, 8)))


def test_failed_load_changes_nothing():
    mha = MultiheadAttention(8, 2, rng=0)
    before = mha.state_dict()
    bad = dict(before)
    bad["out_proj.weight"] = np.zeros((8, 4))
    with pytest.raises(ValueError, match="out_proj.weight"):
        mha.load_state_dict(bad)
    for k, v in mha.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
