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
"""

from __future__ import annotations

import ast
import hashlib
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


def imported_modules(source: str, current: str | None = None) -> set[str]:
    """Dotted names of ``mlcore`` modules (or objects) that ``source`` imports.

    ``current`` is the dotted name of the module holding ``source``, needed to
    resolve relative imports.  ``from mlcore.a import b`` yields both
    ``mlcore.a`` and ``mlcore.a.b``: ``b`` may be a submodule.
    """
    tree = _parse(source)
    if tree is None:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and current:
                parts = current.split(".")[: -node.level]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def _module_file(name: str, root: Path) -> Path | None:
    path = root.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def source_closure(modules: Iterable[str], root: Path = ROOT) -> list[Path]:
    """Every ``mlcore`` source file that importing ``modules`` executes, sorted."""
    files: set[Path] = set()
    todo = list(modules)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        for i in range(1, len(parts)):
            todo.append(".".join(parts[:i]))
        path = _module_file(name, root)
        if path is None or path in files:
            continue
        files.add(path)
        is_package = path.name == "__init__.py"
        current = name + ".__init__" if is_package else name
        todo.extend(imported_modules(path.read_text(encoding="utf8"), current))
    return sorted(files)


def dependency_hash(code_cells: Iterable[str], root: Path = ROOT) -> str | None:
    """Hash of the ``mlcore`` sources that these code cells depend on (``None`` if none)."""
    modules: set[str] = set()
    for source in code_cells:
        modules |= imported_modules(source)
    files = source_closure(modules, root)
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
    modules: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            modules |= imported_modules(cell.source)
    return source_closure(modules, root)


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
