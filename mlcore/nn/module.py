"""``Module`` and ``Parameter``: how layers hold their weights (chapter 7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlcore.tensor import Tensor

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter(Tensor):
    """A tensor that is a learnable weight: it always requires a gradient.

    Float data is stored in the default dtype (float32) unless ``dtype`` is given.

    Chapter 7: Automatic differentiation.
    """

    def __init__(self, data: Any, dtype: Any = None):
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


class Module:
    """Base class of every layer and model.

    A subclass creates its :class:`Parameter` and sub-module attributes in
    ``__init__`` and computes its output in ``forward``.  Parameters are found
    by walking the attributes in the order they were assigned, so
    :meth:`parameters` always lists them in the same order.

    *Buffers* are arrays that belong to the model's state but are not learned
    by gradient descent (batch norm's running statistics): a module names them
    with :meth:`register_buffer`, and :meth:`state_dict` saves them with the
    parameters.

    Chapter 7: Automatic differentiation.
    """

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.forward(*args, **kwargs)

    # -- discovering parameters ---------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` for this module and all sub-modules."""
        seen: set[int] = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:  # a shared parameter is listed once
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_parameters(f"{prefix}{name}.")

    def register_buffer(self, name: str, value: Any) -> None:
        """Store the array ``value`` as attribute ``name`` and save it in :meth:`state_dict`."""
        setattr(self, name, np.asarray(value))
        names = tuple(getattr(self, "_buffer_names", ()))
        if name not in names:
            self._buffer_names = names + (name,)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(dotted_name, array)`` for the buffers of this module and all sub-modules."""
        for name in getattr(self, "_buffer_names", ()):
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """All learnable parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter (gradients otherwise accumulate)."""
        for p in self.parameters():
            p.zero_grad()

    # -- modes -------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Put this module and its children in training mode (or evaluation mode)."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: e.g. dropout off, batch norm uses running statistics."""
        return self.train(False)

    # -- saving ------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter's and buffer's values, by dotted name."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update((name, b.copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy values into the parameters and buffers, in place; names and shapes must match.

        All names and shapes are checked before anything is copied, so a
        failed load leaves the model unchanged.
        """
        own = {name: p.data for name, p in self.named_parameters()}
        own.update(self.named_buffers())
        problems = []
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing:
            problems.append(f"missing keys {missing}")
        if unexpected:
            problems.append(f"unexpected keys {unexpected}")
        for name in sorted(set(own) & set(state)):
            shape = np.shape(state[name])
            if shape != own[name].shape:
                problems.append(f"'{name}' has shape {shape} in the state but {own[name].shape} in the model")
        if problems:
            raise ValueError("load_state_dict: " + "; ".join(problems))
        for name, current in own.items():
            current[...] = np.asarray(state[name])

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""


class Sequential(Module):
    """Apply modules one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Chapter 7: Automatic differentiation.
    """

    def __init__(self, *layers: Module):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(layer).__name__}, not a Module")
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, layer in enumerate(self.layers):
            yield str(i), layer
