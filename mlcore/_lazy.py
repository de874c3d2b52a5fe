"""Packages that load their parts on first use (PEP 562 module ``__getattr__``).

A package lists its parts in two literal tables in its ``__init__.py``::

    _SUBMODULES = ("conv", "data")                     # mlcore.conv loads on first use
    _EXPORTS = {"mlcore.tensor": ("Tensor", "no_grad")}  # mlcore.Tensor is mlcore.tensor.Tensor

    __getattr__, __dir__, __all__ = attach(__name__, _SUBMODULES, _EXPORTS)

Nothing is imported until a name is first looked up; then the module that
defines it is imported and the value is stored in the package, so later
look-ups are ordinary attribute reads.  The tables must stay literals: the
book's execution cache (``book/_ext/mlcore_cache.py``) reads them without
importing the package, to know which files a chapter that writes
``mlcore.conv`` or ``from mlcore import Tensor`` depends on.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any, Callable, Mapping, Sequence


class _LazyPackage(types.ModuleType):
    """A package module whose exported objects survive the import of a same-named submodule.

    ``mlcore.gradcheck`` is the function :func:`mlcore.gradcheck.gradcheck`.
    Importing the submodule ``mlcore.gradcheck`` makes Python set the
    package's attribute ``gradcheck`` to the module; an eager ``__init__``
    re-bound it to the function afterwards, and this keeps it that way.
    """

    _lazy_exports: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if (name in self._lazy_exports and isinstance(value, types.ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"):
            return
        super().__setattr__(name, value)


def attach(package: str, submodules: Sequence[str],
           exports: Mapping[str, Sequence[str]]) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Module ``__getattr__``, ``__dir__`` and ``__all__`` for a lazily loaded ``package``.

    ``submodules`` are names of modules inside ``package``; ``exports`` maps a
    module's dotted name to the names it defines that ``package`` offers.
    """
    origin: dict[str, str] = {name: f"{package}.{name}" for name in submodules}
    for module, names in exports.items():
        for name in names:
            if name in origin:
                raise ValueError(f"{package}: {name!r} is listed twice in the lazy tables")
            origin[name] = module

    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module._lazy_exports = frozenset(origin) - frozenset(submodules)

    def __getattr__(name: str) -> Any:
        try:
            module_name = origin[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = importlib.import_module(module_name)
        if name not in submodules:
            value = getattr(value, name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(origin))

    return __getattr__, __dir__, list(origin)
