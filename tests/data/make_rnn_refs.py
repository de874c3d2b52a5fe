"""Write tests/data/rnn_refs.npz: PyTorch's outputs and gradients of its recurrent layers.

Run once with PyTorch installed (``python tests/data/make_rnn_refs.py``); the
tests compare mlcore against the stored numbers without needing PyTorch.
Every case uses float64, fixed weights drawn by PyTorch (stored too), a fixed
input and initial state, and the loss ``sum(output * R) + sum(h_n * S)``
(plus ``sum(c_n * U)`` for the LSTM) with fixed random R, S, U, so that every
output feeds the gradients.  Keys are ``<case>/<name>``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("rnn_refs.npz")

# name: (layer class, constructor keywords, batched input shape or unbatched, with initial state)
CASES = {
    "rnn_tanh": (torch.nn.RNN, dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    "rnn_relu_2layer_bi": (torch.nn.RNN, dict(input_size=3, hidden_size=4, num_layers=2,
                                                nonlinearity="relu", bidirectional=True), (5, 2, 3), True),
    "lstm": (torch.nn.LSTM, dict(input_size=3, hidden_size=4), (6, 3, 3), True),
    "lstm_2layer_bi_batch_first": (torch.nn.LSTM, dict(input_size=3, hidden_size=4, num_layers=2,
                                                       bidirectional=True, batch_first=True), (2, 5, 3), True),
    "lstm_nobias": (torch.nn.LSTM, dict(input_size=2, hidden_size=3, bias=False), (4, 2, 2), False),
    "gru": (torch.nn.GRU, dict(input_size=3, hidden_size=4), (6, 3, 3), True),
    "gru_2layer_bi": (torch.nn.GRU, dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True),
                      (5, 2, 3), False),
    "gru_unbatched": (torch.nn.GRU, dict(input_size=3, hidden_size=4, num_layers=2), (5, 3), True),
    "rnncell": (torch.nn.RNNCell, dict(input_size=3, hidden_size=4), (2, 3), True),
    "lstmcell": (torch.nn.LSTMCell, dict(input_size=3, hidden_size=4), (2, 3), True),
    "grucell": (torch.nn.GRUCell, dict(input_size=3, hidden_size=4), (2, 3), True),
}


def main() -> None:
    torch.manual_seed(17)
    rng = np.random.default_rng(17)
    arrays: dict[str, np.ndarray] = {}
    for name, (cls, kwargs, shape, with_state) in CASES.items():
        layer = cls(**kwargs).double()
        x = torch.tensor(rng.standard_normal(shape), requires_grad=True)
        H = kwargs["hidden_size"]
        cell = cls in (torch.nn.RNNCell, torch.nn.LSTMCell, torch.nn.GRUCell)
        if cell:
            state_shape = (shape[0], H)
        else:
            L = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
            batched = len(shape) == 3
            N = (shape[0] if kwargs.get("batch_first") else shape[1]) if batched else None
            state_shape = (L, N, H) if batched else (L, H)
        lstm = cls in (torch.nn.LSTM, torch.nn.LSTMCell)
        states = []
        if with_state:
            states = [torch.tensor(rng.standard_normal(state_shape), requires_grad=True)
                      for _ in range(2 if lstm else 1)]
            hx = tuple(states) if lstm else states[0]
            result = layer(x, hx)
        else:
            result = layer(x)
        if cell:
            outputs = list(result) if lstm else [result]
        else:
            output, h = result
            outputs = [output] + (list(h) if lstm else [h])
        loss = 0
        for k, out in enumerate(outputs):
            weights = torch.tensor(rng.standard_normal(tuple(out.shape)))
            arrays[f"{name}/out{k}"] = out.detach().numpy()
            arrays[f"{name}/weight{k}"] = weights.numpy()
            loss = loss + (out * weights).sum()
        loss.backward()
        arrays[f"{name}/x"] = x.detach().numpy()
        arrays[f"{name}/grad_x"] = x.grad.numpy()
        for k, state in enumerate(states):
            arrays[f"{name}/state{k}"] = state.detach().numpy()
            arrays[f"{name}/grad_state{k}"] = state.grad.numpy()
        for pname, p in layer.named_parameters():
            arrays[f"{name}/param/{pname}"] = p.detach().numpy()
            arrays[f"{name}/grad/{pname}"] = p.grad.numpy()
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
