"""Serve MathJax from the built book itself, so that the book reads offline.

Sphinx loads MathJax from a CDN by default: a reader without a connection
then sees raw ``\\[ y = xW + b \\]``.  This extension takes MathJax 3 from an
installed Python package (``sphinx-mathjax-offline``, which holds the
unmodified ``es5`` build of the npm package ``mathjax@3.2.2``), copies the
files the book needs into ``_static/mathjax`` of the HTML output, and points
``mathjax_path`` at the local copy.  Nothing is downloaded at build time or at
reading time.

The copy holds the combined ``tex-mml-chtml.js`` component (the one Sphinx
loads from the CDN by default) and the pieces it may load on demand: TeX
extensions (``input/``), the CommonHTML output with its web fonts
(``output/chtml``), the menu (``ui/``) and the accessibility modules
(``a11y/``, ``sre/``).

The book has no launch buttons and no Thebe (live code needs a server), but
Jupyter Book always loads sphinx-thebe, whose scripts name a CDN and, with
Sphinx 7, are included twice on every page (a console error, "Identifier
'THEBE_JS_URL' has already been declared").  This extension leaves them out
of every page.

It also copies ``_static/favicon.ico`` to the root of the site, where
browsers look for it on pages without an icon link (the redirecting
``index.html`` that Jupyter Book writes), so that no page logs a 404.
"""

from __future__ import annotations

import re
import shutil
from importlib import metadata
from pathlib import Path

from sphinx.errors import ExtensionError

DISTRIBUTION = "sphinx-mathjax-offline"
ENTRY = "tex-mml-chtml.js"
TARGET = "mathjax"  # under _static/
KEEP = [ENTRY, "input", "output/chtml", "output/chtml.js", "ui", "a11y", "sre", "adaptors"]
STAMP = ".copied-from"


def mathjax_source() -> Path:
    """The folder of the installed MathJax 3 ``es5`` build."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise ExtensionError(
            f"the book serves MathJax locally and needs the Python package {DISTRIBUTION!r}: "
            "pip install -e '.[book]'"
        ) from exc
    folder = Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax"))
    if not (folder / ENTRY).is_file():
        raise ExtensionError(f"{DISTRIBUTION} is installed but {folder / ENTRY} is missing")
    return folder


def copy_mathjax(outdir: Path) -> Path:
    """Copy MathJax into ``outdir/_static/mathjax`` (skipped when already there)."""
    source = mathjax_source()
    target = outdir / "_static" / TARGET
    version = f"{source} {metadata.version(DISTRIBUTION)}"
    stamp = target / STAMP
    if stamp.is_file() and stamp.read_text() == version and (target / ENTRY).is_file():
        return target
    if target.exists():
        shutil.rmtree(target)
    for item in KEEP:
        src, dst = source / item, target / item
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    stamp.write_text(version)
    return target


def _configure(app, config) -> None:
    # Relative paths are resolved against _static/ by Sphinx.
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _copy(app) -> None:
    if app.builder.format == "html" and getattr(app.builder, "math_renderer_name", None) == "mathjax":
        copy_mathjax(Path(app.outdir))


_THEBE_CONFIG = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>', re.S)


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", "") if hasattr(asset, "attributes") else "")
    return "thebe" in name.lower() or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]
    if "body" in context:
        context["body"] = _THEBE_CONFIG.sub("", context["body"])


def _root_favicon(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    icon = Path(app.outdir) / "_static" / "favicon.ico"
    if icon.is_file():
        shutil.copy2(icon, Path(app.outdir) / "favicon.ico")


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _copy)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _root_favicon)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
