"""Make the book's execution cache notice changes in ``mlcore``.

Jupyter Book caches executed notebooks with jupyter-cache, which keys each
notebook on the source and metadata of its code cells.  A chapter that
imports ``mlcore`` has a second input, the library's source files, that this
key does not see: edit ``mlcore`` and the book would keep showing outputs
computed by the old code.

This extension closes the gap.  When a chapter is read, it finds the
``mlcore`` modules the chapter imports, follows their imports inside
``mlcore`` to a closed set of source files, and writes a hash of those files
into the metadata of the chapter's first code cell.  jupyter-cache hashes
cell metadata too, so a change to any file the chapter depends on changes
its key and the chapter is executed again; a chapter that does not use the
changed file, or does not use ``mlcore`` at all, keeps its cached outputs.

``mlcore`` and ``mlcore.nn`` load their parts on first use (``mlcore/_lazy.py``),
so an import statement alone no longer says what runs: ``import mlcore as mc``
followed by ``mc.nn.Conv2d(...)`` runs ``mlcore/nn/conv.py``.  The analysis
therefore also follows attribute chains on names bound to ``mlcore`` modules,
in all of a chapter's cells together, and resolves each name through the
package's literal tables (``_SUBMODULES``, ``_EXPORTS``), read without
importing anything.  Where a name escapes the analysis (``getattr(mc, name)``,
``m = mc``, ``from mlcore import *``, a module named in a string), the key
counts everything that package can load: a key may be wider than needed, never
narrower.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Iterable

PACKAGE = "mlcore"
METADATA_KEY = "mlcore_sources"
ROOT = Path(__file__).resolve().parents[2]  # the repository
_build_root = ROOT  # may be changed by the ``mlcore_cache_root`` Sphinx setting


def _parse(source: str) -> ast.Module | None:
    # Drop IPython magics and shell escapes, which are not Python.
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


# A string naming an mlcore module, as passed to importlib.import_module.
_MODULE_STRING = re.compile(rf"{PACKAGE}(\.[A-Za-z_]\w*)*")


def _imported_names(trees: list[ast.Module], current: str | None) -> tuple[set[str], dict[str, str]]:
    """The dotted names the import statements of ``trees`` load, and what each bound name refers to."""
    names: set[str] = set()
    bound: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names.add(alias.name)
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:  # ``import a.b`` binds ``a``
                        bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level and current:
                    parts = current.split(".")[: -node.level]
                    base = ".".join(parts + ([base] if base else []))
                names.add(base)
                for alias in node.names:
                    names.add(f"{base}.{alias.name}")  # ``*`` gives ``base.*``: everything it offers
                    if alias.name != "*":
                        bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names, {k: v for k, v in bound.items() if _is_ours(v)}


def _used_names(trees: list[ast.Module], bound: dict[str, str], strings: bool) -> set[str]:
    """Dotted names reached through names bound to mlcore: ``mc.nn.Conv2d`` gives ``mlcore.nn.Conv2d``.

    A chain that is not itself followed by an attribute (``f(mc)``, ``getattr(mc, name)``,
    ``nn = mc.nn``) may be looked into later by means the analysis cannot follow, so it
    also yields ``chain.*``: everything that chain's package can load.  With ``strings``,
    string literals naming an mlcore module count too (``importlib.import_module``).
    """
    used: set[str] = set()
    for tree in trees:
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if strings and isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _MODULE_STRING.fullmatch(node.value):
                used.add(node.value)
            if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in bound):
                continue
            chain, top = [bound[node.id]], node
            while isinstance(parents.get(top), ast.Attribute) and parents[top].value is top:
                top = parents[top]
                chain.append(top.attr)
            dotted = ".".join(chain)
            used.update((dotted, dotted + ".*"))
    return used


def referenced_modules(sources: Iterable[str], current: str | None = None) -> set[str]:
    """Dotted names of the ``mlcore`` modules or objects that ``sources``, read together, use.

    ``current`` is the dotted name of the module holding the sources, needed
    to resolve relative imports; ``None`` means notebook cells, whose names
    bound in one cell are used in others.  ``from mlcore.a import b`` yields
    ``mlcore.a`` and ``mlcore.a.b`` (``b`` may be a submodule, or an object
    that ``mlcore.a`` loads lazily); ``import mlcore as mc`` and then
    ``mc.nn.Conv2d`` yields ``mlcore``, ``mlcore.nn`` and ``mlcore.nn.Conv2d``.
    A name ``p.*`` stands for everything package ``p`` can load.
    """
    trees = [t for t in (_parse(s) for s in sources) if t is not None]
    names, bound = _imported_names(trees, current)
    names |= _used_names(trees, bound, strings=current is None)
    return {n for n in names if _is_ours(n)}


def imported_modules(source: str, current: str | None = None) -> set[str]:
    """:func:`referenced_modules` of one source."""
    return referenced_modules([source], current)


def _module_file(name: str, root: Path) -> Path | None:
    path = root.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def lazy_table(init: Path, package: str) -> dict[str, str] | None:
    """What a package that loads its parts on first use offers: name -> module that defines it.

    Reads the literal tables ``_SUBMODULES`` and ``_EXPORTS`` of the package's
    ``__init__.py`` (see ``mlcore/_lazy.py``) without importing it.  ``None``
    for a package without a module-level ``__getattr__``.  Tables that are not
    plain literal assignments raise ``ValueError``: guessing would give a
    wrong cache key.
    """
    tree = _parse(init.read_text(encoding="utf8"))
    if tree is None or "__getattr__" not in {n for node in tree.body for n in _assigned(node)}:
        return None
    submodules: tuple = ()
    exports: dict = {}
    for node in tree.body:
        targets = _assigned(node)
        if not targets & {"_SUBMODULES", "_EXPORTS"}:
            continue
        try:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                raise ValueError
            value = ast.literal_eval(node.value)
            if node.targets[0].id == "_SUBMODULES":
                submodules = tuple(value)
            else:
                exports = {str(m): tuple(names) for m, names in value.items()}
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"{init}: write _SUBMODULES and _EXPORTS as one literal assignment each "
                             "(the execution cache reads them without importing the package)") from None
    table = {name: f"{package}.{name}" for name in submodules}
    for module, names in exports.items():
        table.update(dict.fromkeys(names, module))
    return table


def _assigned(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (or changes)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return set()
    return {sub.id for target in targets for sub in ast.walk(target) if isinstance(sub, ast.Name)}


def source_closure(modules: Iterable[str], root: Path = ROOT) -> list[Path]:
    """Every ``mlcore`` source file that using ``modules`` can execute, sorted.

    Follows imports (at any depth of a module, so a function's own imports
    count) and, through :func:`lazy_table`, the names that lazily loading
    packages resolve on first use.
    """
    files: set[Path] = set()
    todo = list(modules)
    seen: set[str] = set()
    tables: dict[Path, dict[str, str] | None] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        for i in range(1, len(parts)):
            todo.append(".".join(parts[:i]))
        package = ".".join(parts[:-1])
        init = _module_file(package, root) if package else None
        table = None
        if init is not None and init.name == "__init__.py":
            if init not in tables:
                tables[init] = lazy_table(init, package)
            table = tables[init]
        if parts[-1] == "*":  # everything the package can load
            todo.extend((table or {}).values())
            continue
        path = _module_file(name, root)
        if path is None:  # an object, or a name that a lazy package resolves to its module
            if table and parts[-1] in table:
                todo.append(table[parts[-1]])
            continue
        if path in files:
            continue
        files.add(path)
        is_package = path.name == "__init__.py"
        current = name + ".__init__" if is_package else name
        todo.extend(imported_modules(path.read_text(encoding="utf8"), current))
    return sorted(files)


def dependency_hash(code_cells: Iterable[str], root: Path = ROOT) -> str | None:
    """Hash of the ``mlcore`` sources that these code cells depend on (``None`` if none)."""
    files = source_closure(referenced_modules(code_cells), root)
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def notebook_dependencies(nb, root: Path = ROOT) -> list[Path]:
    """The ``mlcore`` source files that a notebook's code cells import, directly or not."""
    return source_closure(referenced_modules(c.source for c in nb.cells if c.cell_type == "code"), root)


def stamp_notebook(nb, root: Path = ROOT):
    """Write the dependency hash into the first code cell's metadata (in place)."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    key = dependency_hash((cell.source for cell in code), root)
    if code and key is not None:
        code[0].metadata[METADATA_KEY] = key
    return nb


def _install_reader_hook() -> None:
    """Wrap myst-nb's reader of MyST-Markdown notebooks so that every chapter is stamped."""
    from myst_nb.core import read

    original = read.read_myst_markdown_notebook
    if getattr(original, "_mlcore_stamped", False):
        return

    def read_and_stamp(*args, **kwargs):
        return stamp_notebook(original(*args, **kwargs), _build_root)

    read_and_stamp._mlcore_stamped = True
    read.read_myst_markdown_notebook = read_and_stamp


def _note_dependencies(app, docname: str, source: list[str]) -> None:
    """Tell Sphinx that a chapter depends on the mlcore files it imports.

    Sphinx re-reads a document only when its source, or a file noted as its
    dependency, has changed; without this, an edit to mlcore alone would not
    even reach the execution cache.
    """
    from myst_nb.core import read

    if not read.is_myst_markdown_notebook(source[0]):
        return
    nb = read.read_myst_markdown_notebook(source[0])
    for path in notebook_dependencies(nb, _build_root):
        app.env.note_dependency(str(path))


def _configure(app, config) -> None:
    global _build_root
    _build_root = Path(config.mlcore_cache_root or ROOT).resolve()


def setup(app):
    # The folder holding the ``mlcore`` package whose sources key the cache
    # (the repository by default; the tests point it at a scratch copy).
    app.add_config_value("mlcore_cache_root", "", "env")
    app.connect("config-inited", _configure)
    _install_reader_hook()
    app.connect("source-read", _note_dependencies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
