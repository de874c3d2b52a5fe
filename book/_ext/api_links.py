"""Resolve the cross-references of mlcore's docstrings in the API reference.

mlcore's docstrings name objects the way a reader imports them
(``mlcore.Tensor``, ``mlcore.nn.Linear``, or just ``Tensor`` inside
``mlcore.gradcheck``), while the API reference documents each object once,
under the module that defines or gathers it (``mlcore.tensor.Tensor``,
``mlcore.nn.layers.Linear``, ``mlcore.classic.Ridge``).  Sphinx only matches
names literally, so with ``-n`` every such reference would be a warning.

This extension resolves a Python cross-reference that Sphinx could not find by
importing what it names, in the context where it was written (the current
class, then the current module, then the top level), and linking to the
documented object that *is* that Python object.  A reference to a module that
has no section of its own links to the nearest documented parent package.  It
also hides private base classes (``_Loss``, ``_BatchNorm``, the mixins of
``mlcore.classic._base``) from the "Bases:" lines, listing their public bases
instead.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.util.nodes import make_refnode

_cache: dict[str, Any] = {}


def _import(name: str) -> Any:
    """The Python object called ``name`` (a dotted path), or None."""
    if name in _cache:
        return _cache[name]
    parts = name.split(".")
    obj = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            obj = None
        break
    _cache[name] = obj
    return obj


_table: dict[int, tuple[str, Any]] | None = None


def _documented(env) -> dict[int, tuple[str, Any]]:
    """Python object id -> (documented full name, py-domain entry), built once per build."""
    global _table
    table = _table
    if table is None:
        table = {}
        for fullname, entry in env.get_domain("py").objects.items():
            if entry.aliased:
                continue
            obj = _import(fullname)
            if obj is not None and not isinstance(obj, (int, float, str, bool, type(None))):
                table.setdefault(id(obj), (fullname, entry))
        _table = table
    return table


def _candidates(node) -> list[str]:
    target = node["reftarget"].lstrip(".~")
    module = node.get("py:module")
    cls = node.get("py:class")
    found = []
    if module and cls:
        found.append(f"{module}.{cls}.{target}")
    if module:
        found.append(f"{module}.{target}")
    found.append(target)
    return found


def _resolve(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    in_mlcore = target.startswith("mlcore") or (node.get("py:module") or "").startswith("mlcore")
    if not in_mlcore and "." in target:
        return None
    domain = env.get_domain("py")
    if node["reftype"] == "mod":
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:i])
            if parent in domain.modules:
                mod = domain.modules[parent]
                return make_refnode(app.builder, node["refdoc"], mod.docname, mod.node_id, contnode, parent)
        return None
    table = _documented(env)
    for name in _candidates(node):
        obj = _import(name)
        if obj is None:
            continue
        hit = table.get(id(obj))
        if hit is None and hasattr(obj, "__func__"):
            hit = table.get(id(obj.__func__))
        if hit is not None:
            fullname, entry = hit
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, fullname)
    # Written without a module context (e.g. a module's summary line shown in
    # an autosummary table): the shallowest documented object of that name,
    # if it is the only one at that depth.
    if "." not in target:
        matches = [(name.count("."), name, entry) for name, entry in domain.objects.items()
                   if name.endswith("." + target) and not entry.aliased]
        if matches:
            depth = min(m[0] for m in matches)
            best = [m for m in matches if m[0] == depth]
            if len(best) == 1:
                _, fullname, entry = best[0]
                return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, fullname)
    return None


def _public_bases(app, name, obj, options, bases: list) -> None:
    """Replace private base classes by their own (public) bases, in place."""
    result: list = []

    def private(base) -> bool:
        path = f"{base.__module__}.{base.__qualname__}"
        return any(part.startswith("_") for part in path.split("."))

    def add(base):
        if private(base):
            for b in base.__bases__:
                add(b)
        elif base not in result:
            result.append(base)

    for base in bases:
        add(base)
    bases[:] = result


def _forget(app) -> None:
    global _table
    _table = None


def setup(app):
    app.connect("missing-reference", _resolve)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("builder-inited", _forget)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
