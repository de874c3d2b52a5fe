"""Offer every chapter as a Jupyter notebook, generated from its MyST source.

The chapters are MyST Markdown notebooks.  At build time this extension
converts each of them with jupytext into a classic ``.ipynb`` file (without
outputs: the reader runs it) and writes it next to the page sources, to
``_sources/<docname>.ipynb`` in the HTML output.  Each chapter page then links
to it twice:

* a line under the chapter title, "Download this chapter as a Jupyter
  notebook", and
* an ``.ipynb`` entry in the theme's download menu (sphinx-book-theme shows
  that entry when the page context holds ``ipynb_source``).

The notebooks keep their jupytext metadata, so Jupyter with jupytext pairs
them with the Markdown again.  Pages that are not notebooks (the
introduction, the glossary, ...) are left alone.
"""

from __future__ import annotations

import html
from pathlib import Path

import jupytext

LINK_CLASS = "notebook-download"
LINK_TEXT = "Download this chapter as a Jupyter notebook"


def _is_notebook_source(path: Path) -> bool:
    from myst_nb.core.read import is_myst_markdown_notebook

    if path.suffix != ".md" or not path.is_file():
        return False
    return is_myst_markdown_notebook(path.read_text(encoding="utf8"))


def notebook_docs(app) -> dict[str, Path]:
    """Docnames of the MyST notebooks in the book, with their source paths."""
    found = {}
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if _is_notebook_source(path):
            found[docname] = path
    return found


def notebook_target(docname: str) -> str:
    """Where the notebook of ``docname`` goes, relative to the HTML output."""
    return f"_sources/{docname}.ipynb"


def write_notebook(source: Path, target: Path) -> None:
    nb = jupytext.read(source, fmt="md:myst")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = jupytext.writes(nb, fmt="ipynb")
    if not target.is_file() or target.read_text(encoding="utf8") != text:
        target.write_text(text, encoding="utf8")


def _add_links(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or doctree is None:
        return
    if pagename not in app.env.metadata or not _is_notebook_source(Path(app.env.doc2path(pagename))):
        return
    target = notebook_target(pagename)
    # The theme's download menu: sphinx-book-theme links `_sources/<ipynb_source>`.
    context["ipynb_source"] = f"{pagename}.ipynb"
    href = html.escape(context["pathto"](target, 1))
    filename = html.escape(Path(target).name)
    line = (
        f'<p class="{LINK_CLASS}"><i class="fa-solid fa-download" aria-hidden="true"></i> '
        f'<a class="reference external" href="{href}" download="{filename}">{LINK_TEXT}</a> ({filename}; open it in Jupyter, '
        "or with jupytext next to its Markdown source).</p>"
    )
    body = context.get("body", "")
    end_of_title = body.find("</h1>")
    if end_of_title >= 0:
        cut = end_of_title + len("</h1>")
        context["body"] = body[:cut] + "\n" + line + body[cut:]
    else:
        context["body"] = line + body


def _write_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for docname, source in notebook_docs(app).items():
        write_notebook(source, outdir / notebook_target(docname))


def setup(app):
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _add_links, priority=400)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
