"""``Module`` and ``Parameter``: how layers hold their weights, and the containers of modules (chapter 7)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from mlcore.tensor import Tensor

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict"]


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

    def __setattr__(self, name: str, value: Any) -> None:
        _refuse_plain_container(self, name, value)
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.forward(*args, **kwargs)

    # -- discovering parameters ---------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """Yield ``(name, module)`` for the direct sub-modules, in the order they were assigned.

        A sub-module kept in a plain list, tuple or dict would be invisible
        here (and so to :meth:`parameters`, :meth:`state_dict` and
        :meth:`train`): such an attribute raises a ``TypeError`` asking for
        :class:`ModuleList` or :class:`ModuleDict`.
        """
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            else:
                _refuse_plain_container(self, name, value)

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules (see :meth:`named_children`)."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """Yield ``(dotted_name, module)`` for this module (name ``prefix``) and every sub-module."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        """This module and every sub-module, depth first."""
        for _, module in self.named_modules():
            yield module

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

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Switch gradient tracking of every parameter on or off (freeze a sub-network); returns ``self``.

        Frozen parameters get no ``.grad`` from :meth:`~mlcore.tensor.Tensor.backward`
        and optimisers skip them (Chapter 7: Automatic differentiation).
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

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
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: state must be a mapping of names to arrays (a state_dict()), "
                            f"got {type(state).__name__}")
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
        converted = {}  # convert every value before copying any, so a bad one changes nothing
        for name, current in own.items():
            value = state[name].data if hasattr(state[name], "data") and not isinstance(state[name], np.ndarray) \
                else state[name]
            try:
                array = np.asarray(value)
                if array.dtype.kind not in "biuf" or (array.dtype.kind == "b" and current.dtype.kind != "b"):
                    raise TypeError(f"dtype {array.dtype}")
                converted[name] = array.astype(current.dtype, copy=False)
            except (TypeError, ValueError) as err:
                raise TypeError(f"load_state_dict: '{name}' cannot be converted to {current.dtype} ({err}); "
                                f"nothing was loaded") from None
        for name, current in own.items():
            current[...] = converted[name]

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""


def _refuse_plain_container(owner: Module, name: str, value: Any) -> None:
    """Raise ``TypeError`` if ``value`` is a plain list, tuple or dict holding modules."""
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return
    if any(isinstance(item, Module) for item in items):
        kind, fix = ("dict", "nn.ModuleDict") if isinstance(value, dict) else (type(value).__name__, "nn.ModuleList")
        raise TypeError(
            f"{type(owner).__name__}.{name}: a plain {kind} of modules is invisible to parameters(), "
            f"state_dict() and train(); wrap it: self.{name} = {fix}(...)"
        )


def _check_module(owner: str, what: str, module: Any) -> "Module":
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {what} is a {type(module).__name__}, not a Module")
    return module


class ModuleList(Module):
    """A list of sub-modules whose parameters the parent finds, named ``0``, ``1``, ... as in PyTorch.

    ``self.blocks = ModuleList([Block(), Block()])`` gives parameter names
    ``blocks.0.weight``, ``blocks.1.weight``, ... Supports ``append``,
    ``extend``, ``insert``, indexing (a slice gives a new ``ModuleList``),
    assignment, ``del``, ``len`` and iteration. It has no ``forward``: the
    owner decides how to call its items.

    Parameters
    ----------
    modules : iterable of Module, optional

    Notes
    -----
    Chapter 7: Automatic differentiation.
    """

    def __init__(self, modules: Iterable[Module] = ()):
        object.__setattr__(self, "_items", [])
        self.extend(modules)

    def _wrap(self, items: list[Module]) -> "ModuleList":
        return ModuleList(items)

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end; returns ``self``."""
        self._items.append(_check_module(type(self).__name__, f"item {len(self._items)}", module))
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Add every module of ``modules`` at the end (all checked first); returns ``self``."""
        if isinstance(modules, Module) and not isinstance(modules, ModuleList):
            raise TypeError(f"{type(self).__name__}.extend: expected an iterable of modules, got a single "
                            f"{type(modules).__name__}; use append")
        new = list(modules)
        for i, module in enumerate(new):
            _check_module(type(self).__name__, f"item {len(self._items) + i}", module)
        self._items.extend(new)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        self._items.insert(index, _check_module(type(self).__name__, "the inserted item", module))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._wrap(self._items[index])
        return self._items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self._items[index] = _check_module(type(self).__name__, f"item {index}", module)

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, module in enumerate(self._items):
            yield str(i), module

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} is a container and has no forward(); "
                                  f"call its items (or use nn.Sequential)")


class ModuleDict(Module):
    """A dictionary of sub-modules whose parameters the parent finds, named by key as in PyTorch.

    ``self.heads = ModuleDict({"digit": Linear(64, 10), "parity": Linear(64, 2)})``
    gives parameter names ``heads.digit.weight``, ... Keys are non-empty
    strings without dots, kept in insertion order. Supports indexing,
    assignment, ``del``, ``in``, ``len``, iteration over keys, ``keys``,
    ``values``, ``items``, ``update`` and ``pop``.

    Parameters
    ----------
    modules : mapping of str to Module, or iterable of (str, Module) pairs, optional

    Notes
    -----
    Chapter 7: Automatic differentiation.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        object.__setattr__(self, "_items", {})
        if modules is not None:
            self.update(modules)

    @staticmethod
    def _checked(key: Any, module: Any) -> tuple[str, Module]:
        if not isinstance(key, str) or not key or "." in key:
            raise ValueError(f"ModuleDict: keys must be non-empty strings without '.', got {key!r}")
        return key, _check_module("ModuleDict", f"the value of {key!r}", module)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace entries from a mapping or from ``(key, module)`` pairs (all checked first)."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        checked = [self._checked(*pair) for pair in pairs]
        self._items.update(checked)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no module {key!r}; keys are {list(self._items)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        key, module = self._checked(key, module)
        self._items[key] = module

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def keys(self):
        """The keys, in insertion order."""
        return self._items.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._items.values()

    def items(self):
        """``(key, module)`` pairs, in insertion order."""
        return self._items.items()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        return self._items.pop(key)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._items.items()

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError("ModuleDict is a container and has no forward(); call its items")


class Sequential(ModuleList):
    """Apply modules one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    The modules are named ``0``, ``1``, ... (parameter names ``0.weight``, as
    in PyTorch) and listed by ``self.layers``; indexing, ``len``,
    iteration and ``append`` work as for :class:`ModuleList`.

    Chapter 7: Automatic differentiation.
    """

    def __init__(self, *layers: Module):
        object.__setattr__(self, "_items", [])
        for i, layer in enumerate(layers):
            _check_module("Sequential", f"argument {i}", layer)
        self._items.extend(layers)

    def _wrap(self, items: list[Module]) -> "Sequential":
        return Sequential(*items)

    @property
    def layers(self) -> list[Module]:
        """The modules, in the order they are applied."""
        return self._items

    def forward(self, x: Tensor) -> Tensor:
        for layer in self._items:
            x = layer(x)
        return x
