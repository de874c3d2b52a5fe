"""One plotting style for the whole book.

Call :func:`use_book_style` once at the top of a chapter.  Figures get an
opaque white background (readable in the theme's dark mode too), a
colour-blind-safe palette (Okabe and Ito), labelled axes and a resolution
high enough for the rendered page.
"""

from __future__ import annotations

__all__ = ["PALETTE", "use_book_style"]

#: The Okabe-Ito palette, distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's style.

    Chapter 1 onwards: every chapter's figures use this style.
    """
    import matplotlib as mpl  # here, not at the top: importing mlcore.viz stays cheap

    mpl.rcParams.update({
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "figure.dpi": 110,
        "savefig.dpi": 160,
        "figure.figsize": (6.4, 4.0),
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
        "legend.frameon": False,
        "image.cmap": "viridis",
    })
    _sharp_inline_figures()


def _sharp_inline_figures() -> None:
    """In a notebook, render figures at twice the resolution ("retina") for sharp pages."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing to do
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")
