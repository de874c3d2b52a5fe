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
* :mod:`mlcore.conv_reference` -- the naive convolution and pooling loops, the tests' oracle (chapter 14)
* :mod:`mlcore.kernels` -- the im2col/col2im and Numba kernels behind them (chapter 14)
* :mod:`mlcore.data_images` -- a generated image set of coloured shapes (chapter 14)
* :mod:`mlcore.viz` -- the book's plotting style
* :mod:`mlcore.classic` -- classical estimators (chapters 2-4)
* :mod:`mlcore.optimize` -- global and local search (chapter 10)
* :mod:`mlcore.rl` -- REINFORCE and DQN on Gymnasium environments (chapter 25)
* :mod:`mlcore.attention` -- scaled dot-product attention and positional encoding (chapter 18)
* :mod:`mlcore.generative` -- VAE, ELBO and IWAE bounds, GAN losses, packing, mode statistics (chapters 20, 21)
* :mod:`mlcore.word2vec` -- skip-gram with negative sampling, vocabulary, word-vector queries (chapter 19);
  :mod:`mlcore.word2vec_kernels` (its Numba trainer), :mod:`mlcore.word2vec_reference` (the NumPy oracle),
  :mod:`mlcore.data_text` (text data sets shipped with gensim, a generated analogy corpus)
* :mod:`mlcore.metric`, :mod:`mlcore.data_glyphs` -- metric-learning losses and a generated glyph alphabet (chapters 22, 23)
* :mod:`mlcore.metrics`, :mod:`mlcore.data_recsys` -- AUC and log loss, generated click data (chapter 24)
* :mod:`mlcore.conv3d`, :mod:`mlcore.data_video` -- 3-D convolution and generated motion clips (chapter 26)

Every piece is loaded on first use (PEP 562): ``import mlcore`` imports
nothing else, and ``mlcore.conv`` or ``from mlcore import Tensor`` imports
the module that defines it.  A chapter therefore loads -- and the book's
execution cache keys it on -- only the files it uses.

Registering a new module (say ``mlcore/rl.py`` or the package ``mlcore/rl/``):
add its name to ``_SUBMODULES`` below, and if ``mlcore`` should offer some of
its names at the top level (like ``mlcore.Tensor``), add a line
``"mlcore.rl": ("name", ...),`` to ``_EXPORTS``.  Keep both tables literal
(no computed names): the execution cache reads them without importing the
package.  ``mlcore.nn`` works the same way.  A plain import line
(``from mlcore import rl``) works too, but then every chapter that imports
mlcore loads that module and is re-executed whenever it changes.
"""

from mlcore._lazy import attach

__version__ = "0.2.0"

_SUBMODULES = (
    "tensor", "ops", "functional", "nn", "optim", "data", "data_images", "train", "io",
    "conv", "conv_reference", "kernels", "viz", "classic", "optimize", "attention", "rl",
    "metric", "data_glyphs",
    "metrics", "data_recsys", "conv3d", "data_video",
    "generative", "word2vec", "word2vec_kernels", "word2vec_reference", "data_text",
)

_EXPORTS = {
    "mlcore.tensor": ("Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
                      "get_default_dtype", "set_default_dtype"),
    "mlcore.gradcheck": ("gradcheck", "numerical_gradient", "relative_error"),
    "mlcore.ops": ("concatenate", "stack", "where", "maximum", "minimum", "clip", "clamp", "abs", "sqrt",
                   "split", "logsumexp"),
}

__getattr__, __dir__, __all__ = attach(__name__, _SUBMODULES, _EXPORTS)
