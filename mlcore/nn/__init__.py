"""Neural-network building blocks: modules, parameters and layers."""

from mlcore.nn.module import Module, Parameter, Sequential
from mlcore.nn.layers import Linear, ReLU, Sigmoid, Tanh

__all__ = ["Module", "Parameter", "Sequential", "Linear", "ReLU", "Sigmoid", "Tanh"]
