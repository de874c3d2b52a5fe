"""Attention layers: multi-head attention, the transformer encoder layer, positional encoding.

Chapter 18: Attention and transformers derives them.  The modules copy
PyTorch's constructor arguments, defaults, forward signatures, return values,
parameter names and initialisation, so that a PyTorch state dict, converted to
NumPy arrays, loads with :meth:`~mlcore.nn.Module.load_state_dict` and gives the
same outputs.  In particular the dense layers *inside* these modules
(``out_proj``, ``linear1``, ``linear2``) store their weight as
``(out_features, in_features)`` and compute :math:`y = xW^\\top + b`, PyTorch's
layout, unlike :class:`mlcore.nn.Linear` (which stores ``(in, out)``).

Masks follow PyTorch's modules: a boolean ``attn_mask`` or ``key_padding_mask``
is ``True`` where attention is **not** allowed, a float mask is added to the
scores.  (:func:`mlcore.attention.scaled_dot_product_attention` follows PyTorch's
function instead, where ``True`` means *allowed*.)
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

import numpy as np

from mlcore import attention as A
from mlcore import functional as F
from mlcore.nn import init
from mlcore.nn.layers import Dropout
from mlcore.nn.module import Module, ModuleList, Parameter
from mlcore.nn.normalization import LayerNorm
from mlcore.tensor import Tensor, as_tensor

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "PositionalEncoding"]


class _LinearOutIn(Module):
    """Dense layer :math:`y = xW^\\top + b` with ``weight`` (out_features, in_features), PyTorch's layout.

    Initialised like PyTorch's ``nn.Linear``: weight and bias uniform in
    :math:`\\pm 1/\\sqrt{\\text{in\\_features}}`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng: Any = None):
        rng = np.random.default_rng(rng)
        bound = 1.0 / math.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(rng.uniform(-bound, bound, size=(out_features, in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, size=out_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): expected input with last "
                             f"dimension {self.in_features}, got shape {x.shape}")
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _probability(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 <= value < 1:
        raise ValueError(f"{owner}: {name} must be a probability in [0, 1), got {value!r}")
    return float(value)


def _additive(owner: str, name: str, mask: Any, dtype: np.dtype) -> np.ndarray:
    """A module mask (bool: True = masked out; float: added) as a float array of ``dtype``."""
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype.kind == "b":
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind == "f":
        return m.astype(dtype, copy=False)
    raise TypeError(f"{owner}: {name} must be boolean (True = do not attend) or float (added), got dtype {m.dtype}")


class MultiheadAttention(Module):
    """Multi-head attention, PyTorch's ``nn.MultiheadAttention`` (Chapter 18: Attention and transformers).

    .. math:: \\mathrm{MultiHead}(Q, K, V) = [\\mathrm{head}_1, \\dots, \\mathrm{head}_h]\\,W_O^\\top + b_O,
       \\quad \\mathrm{head}_i = \\mathrm{Attention}(Q W_{Q,i}^\\top + b_{Q,i},\\; K W_{K,i}^\\top + b_{K,i},\\;
       V W_{V,i}^\\top + b_{V,i}),

    each head of width ``embed_dim // num_heads``.

    Parameters
    ----------
    embed_dim : int
        Model width :math:`E`; must be divisible by ``num_heads``.
    num_heads : int
    dropout : float
        Dropout on the attention weights, in training mode.
    bias : bool
        Learn ``in_proj_bias`` and ``out_proj.bias``.
    add_bias_kv, add_zero_attn : bool
        Not supported (must be False); kept for PyTorch's signature.
    kdim, vdim : int, optional
        Feature sizes of key and value, default ``embed_dim``.  When they differ from
        it the projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``
        instead of one ``in_proj_weight``, as in PyTorch.
    batch_first : bool
        Inputs and outputs are (N, L, E) rather than (L, N, E).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights and of the dropout masks.

    Parameters (attributes), PyTorch's names and shapes: ``in_proj_weight`` (3E, E),
    Xavier-uniform; ``in_proj_bias`` (3E,), zeros; ``out_proj.weight`` (E, E), uniform in
    :math:`\\pm 1/\\sqrt E`; ``out_proj.bias`` (E,), zeros.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, rng: Any = None):
        name = "MultiheadAttention"
        embed_dim = _positive_int(name, "embed_dim", embed_dim)
        num_heads = _positive_int(name, "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"{name}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise ValueError(f"{name}: add_bias_kv and add_zero_attn are not supported")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else _positive_int(name, "kdim", kdim)
        self.vdim = embed_dim if vdim is None else _positive_int(name, "vdim", vdim)
        self.dropout = _probability(name, "dropout", dropout)
        self.batch_first = bool(batch_first)
        self.rng = np.random.default_rng(rng)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = init.xavier_uniform_(Parameter(np.zeros((3 * E, E))), rng=self.rng)
        else:
            self.q_proj_weight = init.xavier_uniform_(Parameter(np.zeros((E, E))), rng=self.rng)
            self.k_proj_weight = init.xavier_uniform_(Parameter(np.zeros((E, self.kdim))), rng=self.rng)
            self.v_proj_weight = init.xavier_uniform_(Parameter(np.zeros((E, self.vdim))), rng=self.rng)
        self.in_proj_bias = Parameter(np.zeros(3 * E)) if bias else None
        self.out_proj = _LinearOutIn(E, E, bias=bias, rng=self.rng)
        if bias:
            init.zeros_(self.out_proj.bias)

    # -- projections ---------------------------------------------------------------

    def _project(self, x: Tensor, which: int) -> Tensor:
        """x @ W_which^T + b_which for which = 0 (query), 1 (key), 2 (value)."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight[which * E:(which + 1) * E]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[which]
        y = x @ w.T
        return y + self.in_proj_bias[which * E:(which + 1) * E] if self.in_proj_bias is not None else y

    def _split_heads(self, x: Tensor) -> Tensor:
        n, length, _ = x.shape  # (N, L, E) -> (N, H, L, E/H)
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    # -- masks ----------------------------------------------------------------------

    def _bias(self, n: int, L: int, S: int, key_padding_mask: Any, attn_mask: Any, is_causal: bool,
              dtype: np.dtype) -> np.ndarray | None:
        """Both masks merged into one additive array broadcastable to (N, H, L, S)."""
        name, H = "MultiheadAttention", self.num_heads
        bias = None
        if attn_mask is None and is_causal:
            attn_mask = ~A.causal_mask(L, S)
        if attn_mask is not None:
            m = _additive(name, "attn_mask", attn_mask, dtype)
            if m.shape == (L, S):
                m = m[None, None]
            elif m.shape == (n * H, L, S):
                m = m.reshape(n, H, L, S)
            else:
                raise ValueError(f"{name}: attn_mask must have shape (L, S) = {(L, S)} or "
                                 f"(N*num_heads, L, S) = {(n * H, L, S)}, got {m.shape}")
            bias = m
        if key_padding_mask is not None:
            m = _additive(name, "key_padding_mask", key_padding_mask, dtype)
            if m.shape != (n, S):
                raise ValueError(f"{name}: key_padding_mask must have shape (N, S) = {(n, S)}, got {m.shape}")
            m = m[:, None, None, :]
            bias = m if bias is None else bias + m
        return bias

    # -- forward --------------------------------------------------------------------

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None, need_weights: bool = True,
                attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``; return ``(output, weights)`` like PyTorch.

        Shapes (``batch_first=False``; with ``batch_first=True`` swap the first two
        axes; unbatched inputs drop N): query (L, N, E), key (S, N, kdim), value
        (S, N, vdim) -> output (L, N, E) and, when ``need_weights``, weights
        (N, L, S) averaged over heads or (N, num_heads, L, S).  ``key_padding_mask``
        (N, S) and ``attn_mask`` (L, S) or (N*num_heads, L, S): boolean ``True`` =
        do not attend, float = added.  ``is_causal`` without ``attn_mask`` applies the
        causal mask (PyTorch requires the mask as well and treats the flag as a hint).
        With ``need_weights=False`` the fused attention Function runs and ``None``
        is returned for the weights; otherwise the weights come from the reference
        computation and are differentiable (in training mode with dropout, the
        weights after dropout, as PyTorch returns them).

        Chapter 18: Attention and transformers.
        """
        name = "MultiheadAttention"
        q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
        if not q.ndim == k.ndim == v.ndim or q.ndim not in (2, 3):
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D (unbatched), "
                             f"got shapes {q.shape}, {k.shape}, {v.shape}")
        for label, t in (("query", q), ("key", k), ("value", v)):
            if t.dtype.kind != "f":
                raise TypeError(f"{name}: {label} must be floating point, got dtype {t.dtype}")
        unbatched = q.ndim == 2
        if unbatched:  # (L, E) -> (1, L, E)
            q, k, v = (t.reshape((1,) + t.shape) for t in (q, k, v))
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            q, k, v = (t.transpose(1, 0, 2) for t in (q, k, v))
        for label, t, size in (("query", q, self.embed_dim), ("key", k, self.kdim), ("value", v, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"{name}: {label} must have {size} features, got shape {t.shape}")
        if k.shape[:2] != v.shape[:2] or q.shape[0] != k.shape[0]:
            raise ValueError(f"{name}: batch sizes or key/value lengths differ: query {tuple(query.shape)}, "
                             f"key {tuple(key.shape)}, value {tuple(value.shape)}")
        n, L, S = q.shape[0], q.shape[1], k.shape[1]
        if unbatched and key_padding_mask is not None:
            key_padding_mask = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))[None]
        bias = self._bias(n, L, S, key_padding_mask, attn_mask, is_causal, q.dtype)
        bias = Tensor(np.zeros((), dtype=q.dtype) if bias is None else bias)

        qh, kh, vh = (self._split_heads(self._project(t, i)) for i, t in enumerate((q, k, v)))  # (N, H, ., E/H)
        scale = 1.0 / math.sqrt(self.head_dim)
        keep, keep_scale = None, 1.0
        if self.training and self.dropout > 0:
            keep = self.rng.random((n, self.num_heads, L, S)) >= self.dropout
            keep_scale = 1.0 / (1.0 - self.dropout)
        if need_weights:
            out, weights = A._attend(qh, kh, vh, bias, scale, keep, keep_scale)
        else:
            out, weights = A.ScaledDotProductAttention.apply(qh, kh, vh, bias, scale=scale, keep=keep,
                                                             keep_scale=keep_scale), None
        out = out.transpose(0, 2, 1, 3).reshape(n, L, self.embed_dim)  # (N, H, L, E/H) -> (N, L, E)
        out = self.out_proj(out)
        if unbatched:
            out = out.reshape(L, self.embed_dim)
        elif not self.batch_first:
            out = out.transpose(1, 0, 2)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(axis=1)  # (N, L, S)
            if unbatched:
                weights = weights.reshape(weights.shape[1:])
        return out, weights

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")


_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One transformer encoder layer, PyTorch's ``nn.TransformerEncoderLayer`` (Chapter 18: Attention and transformers).

    Post-norm (``norm_first=False``, the original of Vaswani et al. 2017)::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    pre-norm (``norm_first=True``)::

        x = x + dropout1(self_attn(norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

    Parameters
    ----------
    d_model, nhead : int
        Width and number of heads.
    dim_feedforward : int
        Hidden width of the feed-forward block.
    dropout : float
    activation : 'relu', 'gelu' or callable
    layer_norm_eps : float
    batch_first, norm_first : bool
    bias : bool
        Biases in the linear layers and layer norms.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights and of every dropout mask.

    Sub-modules have PyTorch's names: ``self_attn``, ``linear1``, ``dropout``,
    ``linear2``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, rng: Any = None):
        name = "TransformerEncoderLayer"
        d_model = _positive_int(name, "d_model", d_model)
        dim_feedforward = _positive_int(name, "dim_feedforward", dim_feedforward)
        p = _probability(name, "dropout", dropout)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
            self.activation_name, activation = activation, _ACTIVATIONS[activation]
        elif callable(activation):
            self.activation_name = getattr(activation, "__name__", "callable")
        else:
            raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
        self.rng = np.random.default_rng(rng)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=p, bias=bias, batch_first=batch_first,
                                            rng=self.rng)
        self.linear1 = _LinearOutIn(d_model, dim_feedforward, bias=bias, rng=self.rng)
        self.dropout = Dropout(p, rng=self.rng)
        self.linear2 = _LinearOutIn(dim_feedforward, d_model, bias=bias, rng=self.rng)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        if not bias:  # PyTorch's LayerNorm(bias=False): a scale only
            self.norm1.bias = self.norm2.bias = None
        self.dropout1 = Dropout(p, rng=self.rng)
        self.dropout2 = Dropout(p, rng=self.rng)
        self.activation = activation
        self.batch_first = bool(batch_first)

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                             need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """Apply the layer to ``src`` (L, N, E), or (N, L, E) with ``batch_first``, or (L, E).

        ``src_mask`` and ``src_key_padding_mask`` are passed to ``self_attn`` as
        ``attn_mask`` and ``key_padding_mask`` (boolean ``True`` = do not attend).

        Chapter 18: Attention and transformers.
        """
        x = as_tensor(src)
        if x.dtype.kind != "f":
            raise TypeError(f"TransformerEncoderLayer: src must be floating point, got dtype {x.dtype}")
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def extra_repr(self) -> str:
        return f"activation={self.activation_name}, norm_first={self.norm_first}, batch_first={self.batch_first}"


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, PyTorch's ``nn.TransformerEncoder``.

    As in PyTorch the copies start with *identical* weights (deep copies of the
    given layer); their dropout generators are re-seeded so that they draw
    different masks.  Parameters are named ``layers.0.self_attn.in_proj_weight``
    and so on, and ``norm`` (optional) is applied after the last layer.

    Chapter 18: Attention and transformers.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got {type(encoder_layer).__name__}")
        num_layers = _positive_int("TransformerEncoder", "num_layers", num_layers)
        seeds = np.random.default_rng(getattr(encoder_layer, "rng", None)).integers(2**63, size=num_layers)
        layers = []
        for seed in seeds:
            layer = copy.deepcopy(encoder_layer)
            _reseed(layer, np.random.default_rng(int(seed)))
            layers.append(layer)
        self.layers = ModuleList(layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        """Run ``src`` through every layer (same masks for each), then ``norm`` if given.

        Chapter 18: Attention and transformers.
        """
        x = as_tensor(src)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


def _reseed(module: Module, rng: np.random.Generator) -> None:
    """Give every generator in ``module`` and its children one new shared generator."""
    stack = [module]
    while stack:
        m = stack.pop()
        if isinstance(getattr(m, "rng", None), np.random.Generator):
            m.rng = rng
        stack.extend(child for _, child in m.named_children())


class PositionalEncoding(Module):
    """Add the fixed sinusoidal position codes of Vaswani et al. (2017) to a sequence.

    ``forward(x)`` returns :math:`x + \\mathrm{PE}_{0..L-1}` for ``x`` of shape (L, N, E),
    (N, L, E) with ``batch_first=True``, or (L, E); see
    :func:`mlcore.attention.sinusoidal_positional_encoding`.  Nothing is learned.

    Chapter 18: Attention and transformers.
    """

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = False):
        self.d_model = _positive_int("PositionalEncoding", "d_model", d_model)
        self.max_len = _positive_int("PositionalEncoding", "max_len", max_len)
        self.batch_first = bool(batch_first)
        self.pe = A.sinusoidal_positional_encoding(self.max_len, self.d_model)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"PositionalEncoding({self.d_model}): expected (L, N, {self.d_model}), "
                             f"(N, L, {self.d_model}) or (L, {self.d_model}), got {x.shape}")
        length = x.shape[1] if (x.ndim == 3 and self.batch_first) else x.shape[0]
        if length > self.max_len:
            raise ValueError(f"PositionalEncoding: sequence length {length} exceeds max_len={self.max_len}")
        pe = self.pe[:length].astype(x.dtype)
        if x.ndim == 3 and not self.batch_first:
            pe = pe[:, None, :]
        return x + Tensor(pe, dtype=x.dtype)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"
