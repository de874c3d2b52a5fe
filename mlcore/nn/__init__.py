"""Neural-network building blocks: modules, parameters, layers, normalisation and initialisers.

Loaded on first use like :mod:`mlcore` (see its docstring): ``nn.Linear``
imports :mod:`mlcore.nn.layers` and ``nn.Conv2d`` imports :mod:`mlcore.nn.conv`,
so a chapter that uses only dense layers does not load (nor depend on) the
convolution code.  To register a new module, e.g. ``mlcore/nn/recurrent.py``:
add ``"recurrent"`` to ``_SUBMODULES`` and a line
``"mlcore.nn.recurrent": ("RNN", "LSTM", "GRU"),`` to ``_EXPORTS``.  Keep
both tables literal: the book's execution cache reads them without importing.
"""

from mlcore._lazy import attach

_SUBMODULES = ("init", "module", "layers", "normalization", "conv", "recurrent", "attention", "sparse", "conv3d")

_EXPORTS = {
    "mlcore.nn.module": ("Module", "Parameter", "Sequential", "ModuleList", "ModuleDict"),
    "mlcore.nn.layers": (
        "Linear", "Embedding", "Flatten", "Identity", "Dropout",
        # activations
        "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
        # losses
        "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "KLDivGaussian",
    ),
    "mlcore.nn.normalization": ("BatchNorm1d", "BatchNorm2d", "LayerNorm"),
    "mlcore.nn.conv": ("Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "GlobalAvgPool"),
    "mlcore.nn.recurrent": ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"),
    "mlcore.nn.attention": ("MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
                            "PositionalEncoding"),
    "mlcore.nn.sparse": ("EmbeddingBag",),
    "mlcore.nn.conv3d": ("Conv3d",),
}

__getattr__, __dir__, __all__ = attach(__name__, _SUBMODULES, _EXPORTS)
