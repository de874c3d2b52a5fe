"""mlcore: the small deep-learning library that the book builds and explains.

The pieces, and the chapters that derive them:

* :mod:`mlcore.tensor` -- :class:`Tensor` and reverse-mode autograd (chapter 7)
* :mod:`mlcore.ops` -- arithmetic, reductions and reshaping (chapter 7)
* :mod:`mlcore.functional` -- activations, softmax and losses (chapters 5, 6, 8)
* :mod:`mlcore.nn` -- modules, parameters and layers (chapters 6, 7)
* :mod:`mlcore.optim` -- optimisers (chapter 9)
* :mod:`mlcore.gradcheck` -- finite-difference gradient checks (chapter 6)
* :mod:`mlcore.data` -- bundled, generated and local-file data sets; batching (chapters 1-14)
* :mod:`mlcore.train` -- a fit/evaluate loop with history and early stopping (chapter 8)
* :mod:`mlcore.io` -- saving and loading parameters as ``.npz``, never pickle (chapter 8)
* :mod:`mlcore.conv` -- convolution and pooling, naive / im2col / Numba backends (chapter 14)
* :mod:`mlcore.kernels` -- the im2col/col2im and Numba kernels behind them (chapter 14)
* :mod:`mlcore.data_images` -- a generated image set of coloured shapes (chapter 14)
* :mod:`mlcore.viz` -- the book's plotting style

Two further packages are imported on demand, so that the core does not
depend on them: :mod:`mlcore.classic` (classical estimators, chapters 2-4)
and :mod:`mlcore.optimize` (global and local search, chapter 10)::

    from mlcore import classic, optimize
"""

from mlcore import conv, data, data_images, functional, io, nn, ops, optim, train, viz
from mlcore.gradcheck import gradcheck, numerical_gradient, relative_error
from mlcore.ops import concatenate, stack
from mlcore.tensor import (
    Function,
    Tensor,
    enable_grad,
    get_default_dtype,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
)

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
    "get_default_dtype", "set_default_dtype", "gradcheck", "numerical_gradient",
    "relative_error", "concatenate", "stack", "functional", "nn", "ops", "optim", "viz", "data", "io", "train", "conv", "data_images",
]
