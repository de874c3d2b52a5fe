"""Generate tests/data/attention_refs.npz: PyTorch's attention outputs and gradients, in float64.

Run once with PyTorch installed (``python tests/data/make_attention_refs.py``);
tests/test_attention.py compares mlcore with the stored numbers without needing
PyTorch.  Every case stores its inputs, the module's state dict (PyTorch's
names, prefixed ``<case>/state/``), the outputs, and the gradients of
``sum(output * r)`` for a fixed random ``r`` with respect to the inputs and the
parameters.  Modules run in eval mode (no dropout).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("attention_refs.npz")
store: dict[str, np.ndarray] = {}


def t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    x = torch.tensor(a, dtype=torch.float64 if a.dtype.kind == "f" else None)
    return x.requires_grad_(grad)


def put(case: str, **arrays: np.ndarray) -> None:
    for name, a in arrays.items():
        store[f"{case}/{name}"] = np.asarray(a)


def sdpa_case(case: str, rng: np.random.Generator, qs, ks, vs, mask=None, **kw) -> None:
    q, k, v = rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(vs)
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tm = None if mask is None else t(mask)
    out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    r = rng.standard_normal(out.shape)
    (out * t(r)).sum().backward()
    put(case, q=q, k=k, v=v, r=r, out=out.detach().numpy(), gq=tq.grad.numpy(), gk=tk.grad.numpy(),
        gv=tv.grad.numpy())
    if mask is not None:
        put(case, mask=mask)


def module_case(case: str, module: torch.nn.Module, inputs: dict[str, np.ndarray], call, r_seed: int) -> None:
    module = module.double().eval()
    tensors = {name: t(a, a.dtype.kind == "f" and not name.endswith("mask")) for name, a in inputs.items()}
    result = call(module, tensors)
    out, weights = result if isinstance(result, tuple) else (result, None)
    r = np.random.default_rng(r_seed).standard_normal(out.shape)
    (out * t(r)).sum().backward()
    put(case, r=r, out=out.detach().numpy(), **inputs)
    if weights is not None:
        put(case, weights=weights.detach().numpy())
    for name, x in tensors.items():
        if x.requires_grad:
            put(case, **{f"grad_{name}": x.grad.numpy()})
    for name, p in module.named_parameters():
        store[f"{case}/state/{name}"] = p.detach().numpy().copy()
        store[f"{case}/pgrad/{name}"] = p.grad.numpy().copy()


def main() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    # scaled_dot_product_attention (PyTorch's function: bool True = may attend)
    sdpa_case("sdpa_plain", rng, (2, 3, 4), (2, 5, 4), (2, 5, 6))
    bool_mask = rng.random((3, 5)) > 0.4
    bool_mask[:, 0] = True
    sdpa_case("sdpa_bool", rng, (2, 3, 4), (2, 5, 4), (2, 5, 6), mask=bool_mask)
    sdpa_case("sdpa_float", rng, (2, 3, 4), (2, 5, 4), (2, 5, 6), mask=rng.standard_normal((2, 3, 5)))
    sdpa_case("sdpa_causal", rng, (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3), is_causal=True)
    head_mask = rng.random((2, 1, 4, 6)) > 0.3
    head_mask[..., 0] = True
    sdpa_case("sdpa_heads", rng, (2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), mask=head_mask, scale=0.3)

    # MultiheadAttention, sequence-first self-attention with both masks and per-head weights
    E, H, L, S, N = 8, 2, 5, 6, 3
    padding = np.zeros((N, L), dtype=bool)
    padding[1, 3:] = True
    module_case(
        "mha_self", torch.nn.MultiheadAttention(E, H),
        {"x": rng.standard_normal((L, N, E)), "key_padding_mask": padding,
         "attn_mask": rng.standard_normal((L, L))},
        lambda m, a: m(a["x"], a["x"], a["x"], key_padding_mask=a["key_padding_mask"], attn_mask=a["attn_mask"],
                       average_attn_weights=False),
        1)
    # batch-first cross-attention with separate key/value sizes and a causal boolean mask
    module_case(
        "mha_cross", torch.nn.MultiheadAttention(E, H, kdim=3, vdim=7, batch_first=True),
        {"query": rng.standard_normal((N, L, E)), "key": rng.standard_normal((N, S, 3)),
         "value": rng.standard_normal((N, S, 7)), "attn_mask": ~np.tril(np.ones((L, S), dtype=bool))},
        lambda m, a: m(a["query"], a["key"], a["value"], attn_mask=a["attn_mask"]),
        2)
    # unbatched input, no bias
    module_case(
        "mha_unbatched", torch.nn.MultiheadAttention(E, 4, bias=False),
        {"query": rng.standard_normal((L, E)), "key": rng.standard_normal((S, E)),
         "value": rng.standard_normal((S, E))},
        lambda m, a: m(a["query"], a["key"], a["value"]),
        3)

    # TransformerEncoderLayer: post-norm ReLU (sequence-first) and pre-norm GELU (batch-first)
    module_case(
        "enc_post", torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16),
        {"src": rng.standard_normal((L, N, E)), "src_key_padding_mask": padding},
        lambda m, a: m(a["src"], src_key_padding_mask=a["src_key_padding_mask"]),
        4)
    module_case(
        "enc_pre", torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=12, activation="gelu", batch_first=True,
                                                    norm_first=True),
        {"src": rng.standard_normal((N, L, E)), "src_mask": ~np.tril(np.ones((L, L), dtype=bool))},
        lambda m, a: m(a["src"], src_mask=a["src_mask"]),
        5)
    # a two-layer encoder with a final norm (layers start as copies, then we perturb them to tell them apart)
    layer = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, batch_first=True, norm_first=True)
    encoder = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False)
    with torch.no_grad():
        for p in encoder.parameters():
            p.add_(0.1 * torch.randn(p.shape))
    module_case(
        "encoder", encoder,
        {"src": rng.standard_normal((N, L, E))},
        lambda m, a: m(a["src"]),
        6)

    np.savez_compressed(OUT, **store)
    print(f"wrote {len(store)} arrays to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
