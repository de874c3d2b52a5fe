"""Per-operation overhead of mlcore's autograd on tiny tensors.

A tiny ``(a * b).sum().backward()`` does almost no arithmetic, so its time is
the library's bookkeeping: wrapping arrays in tensors, ``Function.apply``,
recording the graph and the topological sort of ``backward``. We time it
against the same forward and backward written by hand in NumPy (the floor
for any NumPy-based library) and against PyTorch when it is installed.

Run: ``python benchmarks/overhead.py`` (part of ``make bench``). Times are
CPU time of this process (``time.process_time``), the best of 7 repeats, in
microseconds per iteration, so other load on the machine inflates them less.
"""

from __future__ import annotations

import time
import timeit

import numpy as np

import mlcore as mc
from mlcore import functional as F
from mlcore import ops

REPEATS, NUMBER = 7, 2000


def best_us(statement, number: int = NUMBER) -> float:
    """Best time per call over REPEATS repeats of ``number`` calls, in microseconds."""
    return min(timeit.repeat(statement, number=number, repeat=REPEATS, timer=time.process_time)) / number * 1e6


def cases() -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8), rng.normal(size=8)
    a = mc.Tensor(x, requires_grad=True, dtype=np.float64)
    b = mc.Tensor(y, requires_grad=True, dtype=np.float64)
    W = mc.Tensor(rng.normal(size=(8, 4)), requires_grad=True, dtype=np.float64)
    X = rng.normal(size=(2, 8))

    def ml_mul_sum():
        (a * b).sum().backward()
        a.grad = b.grad = None

    def np_mul_sum():
        out = x * y          # forward
        out.sum()
        ga = np.ones_like(out) * y  # backward of sum, then of mul
        gb = np.ones_like(out) * x
        return ga, gb

    def ml_mlp():
        F.relu(mc.Tensor(X) @ W).mean().backward()
        W.grad = None

    def np_mlp():
        h = X @ W.data
        r = np.maximum(h, 0)
        r.mean()
        g = (h > 0) / h.size
        return X.T @ g

    def ml_tensor():
        return mc.Tensor(x)

    def ml_getitem_basic():
        a[1:5].sum().backward()
        a.grad = None

    big = rng.normal(size=(1000, 100))
    grad = rng.normal(size=(1000, 50))
    index = (slice(None), slice(0, 50))

    def fast_getitem_backward():
        out = np.zeros(big.shape)
        out[index] = grad
        return out

    results = {
        "(a * b).sum().backward(), 8 entries": {"mlcore": best_us(ml_mul_sum), "numpy by hand": best_us(np_mul_sum)},
        "relu(X @ W).mean().backward(), 2x8 @ 8x4": {"mlcore": best_us(ml_mlp), "numpy by hand": best_us(np_mlp)},
        "Tensor(array) creation": {"mlcore": best_us(ml_tensor)},
        "a[1:5].sum().backward()": {"mlcore": best_us(ml_getitem_basic)},
        "backward of x[:, :50], x 1000x100": {
            "basic-index path": best_us(fast_getitem_backward, 50),
            "np.add.at": best_us(lambda: ops.getitem_reference_backward(big.shape, index, grad), 50),
        },
    }
    try:
        import torch
    except ImportError:
        return results
    torch.set_num_threads(1)
    ta = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(y, requires_grad=True)
    tW = torch.tensor(W.data, requires_grad=True)
    tX = torch.tensor(X)

    def torch_mul_sum():
        (ta * tb).sum().backward()
        ta.grad = tb.grad = None

    def torch_mlp():
        torch.relu(tX @ tW).mean().backward()
        tW.grad = None

    results["(a * b).sum().backward(), 8 entries"]["torch"] = best_us(torch_mul_sum)
    results["relu(X @ W).mean().backward(), 2x8 @ 8x4"]["torch"] = best_us(torch_mlp)
    return results


def main() -> None:
    print(f"{'case':45s} {'library':15s} {'us/iter':>9s}")
    for case, row in cases().items():
        for library, us in row.items():
            print(f"{case:45s} {library:15s} {us:9.2f}")


if __name__ == "__main__":
    main()
