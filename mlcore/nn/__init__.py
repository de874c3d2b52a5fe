"""Neural-network building blocks: modules, parameters, layers, normalisation and initialisers."""

from mlcore.nn import init
from mlcore.nn.layers import (
    ELU,
    GELU,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    KLDivGaussian,
    L1Loss,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from mlcore.nn.module import Module, Parameter, Sequential
from mlcore.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = [
    "Module", "Parameter", "Sequential", "init",
    # layers
    "Linear", "Embedding", "Flatten", "Identity", "Dropout",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    # activations
    "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    # losses
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "KLDivGaussian",
]
from mlcore.nn.conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, GlobalAvgPool, MaxPool1d, MaxPool2d  # noqa: E402

__all__ += ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "GlobalAvgPool"]
