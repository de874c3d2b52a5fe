"""Every public function and class of mlcore has a docstring that names its chapter.

The API reference (book/api.md) is generated from these docstrings; naming
the chapter that derives an object lets a reader go from the reference to the
derivation.  A name is public when it is in the module's ``__all__`` (or, for
a module without one, when it does not start with an underscore and is
defined in that module).
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

# The modules documented in book/api.md.
MODULES = [
    "mlcore.tensor",
    "mlcore.ops",
    "mlcore.functional",
    "mlcore.gradcheck",
    "mlcore.nn.module",
    "mlcore.nn.layers",
    "mlcore.nn.normalization",
    "mlcore.nn.recurrent",
    "mlcore.nn.recurrent_reference",
    "mlcore.nn.init",
    "mlcore.optim",
    "mlcore.data",
    "mlcore.train",
    "mlcore.io",
    "mlcore.viz",
    "mlcore.classic",
    "mlcore.optimize",
    "mlcore.conv",
    "mlcore.kernels",
    "mlcore.nn.conv",
    "mlcore.data_images",
]

CHAPTER = re.compile(r"\b[Cc]hapters? \d+")


def public_objects(module_name: str) -> list[tuple[str, object]]:
    """The public functions and classes of a module, by the rule in the module docstring."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", None) == module_name]
    found = []
    for name in names:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj) or callable(obj):
            if inspect.ismodule(obj):
                continue
            found.append((f"{module_name}.{name}", obj))
    return found


CASES = [case for module in MODULES for case in public_objects(module)]


def test_the_modules_have_public_objects():
    assert len(CASES) > 100


@pytest.mark.parametrize("name,obj", CASES, ids=[c[0] for c in CASES])
def test_docstring_names_its_chapter(name, obj):
    doc = inspect.getdoc(obj) if not isinstance(obj, type) else obj.__dict__.get("__doc__")
    assert doc and doc.strip(), f"{name} has no docstring"
    assert CHAPTER.search(doc), f"{name}'s docstring does not name a chapter ('Chapter N'): {doc[:120]!r}"


def test_the_check_is_not_vacuous():
    def undocumented():
        pass

    def documented():
        """Derived in chapter 7."""

    assert not CHAPTER.search(inspect.getdoc(undocumented) or "")
    assert CHAPTER.search(inspect.getdoc(documented))
