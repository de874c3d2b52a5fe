"""The workloads of ``benchmarks/run.py``: each as an mlcore callable and, when PyTorch is installed, a torch one.

Chapter 14: Convolutional networks quotes these numbers.  A *case* builds its
inputs once and returns callables that each run the workload one time:

* ``fast``   -- mlcore on its default backend, float32;
* ``im2col`` -- mlcore with the NumPy im2col/col2im backend;
* ``naive``  -- mlcore's loop reference on a small slice of the batch, with the
  factor that extrapolates its time to the full workload (``None`` if no naive version);
* ``torch``  -- the same computation in PyTorch on the CPU (``None`` without PyTorch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import mlcore as mc
from mlcore import conv, nn, optim
from mlcore import functional as F
from mlcore.data_images import make_shapes
from mlcore.nn.normalization import batch_norm_reference

try:
    import torch
except ImportError:  # the suite runs without PyTorch
    torch = None

Run = Callable[[], Any]


@dataclass
class Case:
    name: str
    fast: Run
    im2col: Run | None
    naive: tuple[Run, float, str] | None  # (run on a slice, factor to the full workload, what was run)
    torch: Run | None


def _forward_backward(fn: Callable[..., mc.Tensor], *arrays: np.ndarray) -> Run:
    """A callable that runs ``fn`` forward and backward on fresh leaf tensors."""
    def run():
        tensors = [mc.Tensor(a, requires_grad=True) for a in arrays]
        y = fn(*tensors)
        y.backward(np.ones_like(y.data))
    return run


def _torch_forward_backward(fn: Callable[..., Any], *arrays: np.ndarray) -> Run | None:
    if torch is None:
        return None

    def run():
        tensors = [torch.from_numpy(a).requires_grad_(True) for a in arrays]
        y = fn(*tensors)
        y.backward(torch.ones_like(y))
    return run


def conv_case(n: int, c: int, o: int, size: int, k: int, padding: int, label: str, stride: int = 1) -> Case:
    """conv2d forward + backward (input, weight and bias gradients)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32) * np.float32(1 / np.sqrt(c * k * k))
    b = np.zeros(o, dtype=np.float32)

    def with_backend(backend: str, x_: np.ndarray) -> Run:
        return _forward_backward(lambda *t: conv.conv2d(*t, stride=stride, padding=padding, backend=backend),
                                 x_, w, b)

    naive = (with_backend("naive", x[:1]), n, "1 image, x" + str(n))
    name = (f"conv2d fwd+bwd {label}: {n}x{c}x{size}x{size}, {c}->{o} {k}x{k}" + (f" pad {padding}" if padding else "")
            + (f" stride {stride}" if stride != 1 else ""))
    torch_run = _torch_forward_backward(
        lambda *t: torch.nn.functional.conv2d(*t, stride=stride, padding=padding), x, w, b)
    return Case(name, with_backend("numba", x), with_backend("im2col", x), naive, torch_run)


def max_pool_case(n: int, c: int, size: int) -> Case:
    """max_pool2d 2x2 forward + backward."""
    x = np.random.default_rng(0).standard_normal((n, c, size, size), dtype=np.float32)

    def with_backend(backend: str, x_: np.ndarray) -> Run:
        return _forward_backward(lambda t: conv.max_pool2d(t, 2, backend=backend), x_)

    torch_run = _torch_forward_backward(lambda t: torch.nn.functional.max_pool2d(t, 2), x)
    return Case(f"max_pool2d 2x2 fwd+bwd: {n}x{c}x{size}x{size}", with_backend("numba", x),
                with_backend("im2col", x), (with_backend("naive", x[:1]), n, "1 image, x" + str(n)), torch_run)


def batch_norm_case(n: int, c: int, size: int) -> Case:
    """BatchNorm2d (training mode) forward + backward; "naive" is the primitive-op reference, full batch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    layer = nn.BatchNorm2d(c)
    gamma, beta = np.ones(c, dtype=np.float32), np.zeros(c, dtype=np.float32)
    naive = (_forward_backward(batch_norm_reference, x, gamma, beta), 1, "primitive ops, full batch")
    torch_run = None
    if torch is not None:
        torch_layer = torch.nn.BatchNorm2d(c)
        torch_run = _torch_forward_backward(torch_layer, x)
    return Case(f"BatchNorm2d fwd+bwd: {n}x{c}x{size}x{size}", _forward_backward(layer, x), None, naive, torch_run)


# ---------------------------------------------------------------------------
# Training epochs
# ---------------------------------------------------------------------------


def lenet5(rng: int = 0) -> nn.Module:
    """LeNet-5 (LeCun et al., 1998) for 3x32x32 images, with ReLU and max pooling."""
    return nn.Sequential(
        nn.Conv2d(3, 6, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),       # (N, 3, 32, 32) -> (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),      # -> (N, 16, 5, 5)
        nn.Flatten(), nn.Linear(400, 120, rng=rng), nn.ReLU(),
        nn.Linear(120, 84, rng=rng), nn.ReLU(), nn.Linear(84, 10, rng=rng),
    )


def torch_lenet5():
    t = torch.nn
    return t.Sequential(t.Conv2d(3, 6, 5), t.ReLU(), t.MaxPool2d(2), t.Conv2d(6, 16, 5), t.ReLU(), t.MaxPool2d(2),
                        t.Flatten(), t.Linear(400, 120), t.ReLU(), t.Linear(120, 84), t.ReLU(), t.Linear(84, 10))


def _mlcore_epoch(model: nn.Module, X: np.ndarray, y: np.ndarray, batch: int, backend: str = "numba") -> Run:
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run():
        order = np.random.default_rng(0).permutation(len(X))
        with conv.use_backend(backend):
            for start in range(0, len(X), batch):
                idx = order[start:start + batch]
                opt.zero_grad()
                F.cross_entropy(model(X[idx]), y[idx]).backward()
                opt.step()
    return run


def _torch_epoch(model: Any, X: np.ndarray, y: np.ndarray, batch: int) -> Run | None:
    if torch is None:
        return None
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run():
        order = torch.from_numpy(np.random.default_rng(0).permutation(len(X)))
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return run


def lenet_epoch_case(n_images: int = 10_000, batch: int = 64) -> Case:
    """One epoch of LeNet-5 on generated shapes (:func:`mlcore.data_images.make_shapes`), SGD with momentum 0.9."""
    X, y = make_shapes(n_images, rng=0)
    naive = (_mlcore_epoch(lenet5(), X[:2], y[:2], batch, "naive"), n_images / 2, "1 step on 2 images, per image")
    return Case(f"LeNet-5 epoch: {n_images} shapes 3x32x32, batch {batch}, SGD momentum",
                _mlcore_epoch(lenet5(), X, y, batch), _mlcore_epoch(lenet5(), X, y, batch, "im2col"), naive,
                None if torch is None else _torch_epoch(torch_lenet5(), X, y, batch))


class BasicBlock(nn.Module):
    """ResNet basic block (He et al., 2016): conv-BN-ReLU-conv-BN plus shortcut, then ReLU.

    Downsampling blocks (stride 2, channels doubled) use a 1x1 stride-2 convolution and BatchNorm on
    the shortcut (option B of the paper), in both libraries alike.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, rng: np.random.Generator):
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False, rng=rng)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False, rng=rng)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.short = None
        if stride != 1 or c_in != c_out:
            self.short = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False, rng=rng),
                                       nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.short is None else self.short(x)))


class ResNet20(nn.Module):
    """CIFAR-style ResNet-20: a 3x3 stem to 16 channels, three stages of 3 basic blocks (16/32/64 channels
    at 32/16/8), global average pooling and a linear classifier."""

    def __init__(self, n_classes: int = 10, rng: int = 0):
        rng = np.random.default_rng(rng)
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False, rng=rng)
        self.bn = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for c_out in (16, 32, 64):
            for i in range(3):
                blocks.append(BasicBlock(c, c_out, 2 if (i == 0 and c_out != 16) else 1, rng))
                c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, n_classes, rng=rng)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn(self.stem(x))))
        return self.fc(conv.global_avg_pool(h))


def torch_resnet20(n_classes: int = 10):
    t = torch.nn

    class Block(t.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = t.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = t.BatchNorm2d(c_out)
            self.conv2 = t.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = t.BatchNorm2d(c_out)
            self.short = None
            if stride != 1 or c_in != c_out:
                self.short = t.Sequential(t.Conv2d(c_in, c_out, 1, stride, bias=False), t.BatchNorm2d(c_out))

        def forward(self, x):
            h = torch.relu(self.bn1(self.conv1(x)))
            h = self.bn2(self.conv2(h))
            return torch.relu(h + (x if self.short is None else self.short(x)))

    blocks, c = [], 16
    for c_out in (16, 32, 64):
        for i in range(3):
            blocks.append(Block(c, c_out, 2 if (i == 0 and c_out != 16) else 1))
            c = c_out
    return t.Sequential(t.Conv2d(3, 16, 3, 1, 1, bias=False), t.BatchNorm2d(16), t.ReLU(), *blocks,
                        t.AdaptiveAvgPool2d(1), t.Flatten(), t.Linear(64, n_classes))


def resnet_epoch_case(n_images: int = 640, batch: int = 64) -> Case:
    """One epoch of ResNet-20 on generated shapes, SGD with momentum 0.9 (no im2col or naive column)."""
    X, y = make_shapes(n_images, rng=0)
    return Case(f"ResNet-20 epoch: {n_images} shapes 3x32x32, batch {batch}, SGD momentum",
                _mlcore_epoch(ResNet20(), X, y, batch), None, None,
                None if torch is None else _torch_epoch(torch_resnet20(), X, y, batch))


def mlp_epoch_case(batch: int = 32) -> Case:
    """One epoch of a 64-128-64-10 ReLU MLP on scikit-learn's digits (1,797 images), SGD with momentum 0.9."""
    X, y = mc.data.load_digits()

    def mlcore_mlp():
        return nn.Sequential(nn.Linear(64, 128, rng=0), nn.ReLU(), nn.Linear(128, 64, rng=0), nn.ReLU(),
                             nn.Linear(64, 10, rng=0))

    torch_run = None
    if torch is not None:
        t = torch.nn
        torch_run = _torch_epoch(t.Sequential(t.Linear(64, 128), t.ReLU(), t.Linear(128, 64), t.ReLU(),
                                              t.Linear(64, 10)), X, y, batch)
    return Case(f"MLP epoch: digits 1797x64, 64-128-64-10, batch {batch}, SGD momentum",
                _mlcore_epoch(mlcore_mlp(), X, y, batch), None, None, torch_run)


def all_cases(n_images: int, resnet_images: int = 640) -> list[Callable[[], Case]]:
    """Builders of every case, in the order of the table (built lazily: each allocates its data)."""
    return [
        lambda: conv_case(64, 3, 6, 32, 5, 0, "LeNet C1"),
        lambda: conv_case(64, 6, 16, 14, 5, 0, "LeNet C3"),
        lambda: conv_case(64, 16, 16, 32, 3, 1, "ResNet"),
        lambda: conv_case(64, 32, 32, 16, 3, 1, "ResNet"),
        lambda: conv_case(64, 64, 64, 8, 3, 1, "ResNet"),
        lambda: conv_case(64, 16, 32, 32, 3, 1, "ResNet", stride=2),
        lambda: conv_case(64, 32, 64, 16, 3, 1, "ResNet", stride=2),
        lambda: max_pool_case(64, 6, 28),
        lambda: max_pool_case(64, 16, 32),
        lambda: batch_norm_case(64, 16, 32),
        lambda: lenet_epoch_case(n_images),
        lambda: resnet_epoch_case(resnet_images),
        mlp_epoch_case,
    ]
