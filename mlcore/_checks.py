"""Argument checks shared by mlcore's modules (private: the messages are the interface).

Every check raises ``ValueError`` (``TypeError`` for a value of the wrong
kind where PyTorch does too) with one message shape,
``"<owner>: <argument> must be <what>, got <value>"``, where ``owner`` names
the function or layer that was called (``"conv2d"``, ``"Conv2d"``, or a
layer's ``repr``), and returns the value in its canonical form (a Python
``int``, a tuple, a ``float``).  A check runs before anything is changed, so a
call that fails changes nothing.  Booleans are never accepted as numbers.
"""

from __future__ import annotations

import numbers
from typing import Any, Collection

__all__ = ["check_int", "check_int_tuple", "check_number", "check_choice", "check_float_tensor"]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_words(minimum: int) -> str:
    return {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer >= {minimum}")


def check_int(owner: str, argument: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an ``int`` at least ``minimum`` (by default: a positive integer)."""
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{owner}: {argument} must be {_int_words(minimum)}, got {value!r}")
    return int(value)


def check_int_tuple(owner: str, argument: str, value: Any, d: int, minimum: int = 1) -> tuple[int, ...]:
    """An integer or a ``d``-tuple of integers, each at least ``minimum``, as a ``d``-tuple.

    The form of PyTorch's ``kernel_size``, ``stride``, ``padding`` and
    ``dilation``: ``3`` means ``(3, 3)`` for a 2-D layer.
    """
    try:
        values = (value,) * d if _is_int(value) else tuple(value)
    except TypeError:
        values = ()
    if len(values) != d or not all(_is_int(v) and v >= minimum for v in values):
        raise ValueError(f"{owner}: {argument} must be {_int_words(minimum)} or a tuple of {d}, got {value!r}")
    return tuple(int(v) for v in values)


def check_number(owner: str, argument: str, value: Any, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (either may be open)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and abs(float(value)) < float("inf")
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if low is not None and high is not None:
            what = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            what = f"a number {'>' if low_open else '>='} {low}"
        elif high is not None:
            what = f"a number {'<' if high_open else '<='} {high}"
        else:
            what = "a finite number"
        raise ValueError(f"{owner}: {argument} must be {what}, got {value!r}")
    return float(value)


def check_choice(owner: str, argument: str, value: Any, choices: Collection[Any]) -> Any:
    """``value`` itself, if it is one of ``choices``."""
    try:
        ok = not isinstance(value, (list, dict, set)) and value in choices
    except Exception:  # e.g. an array, whose comparison has no single truth value
        ok = False
    if not ok:
        raise ValueError(f"{owner}: {argument} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_float_tensor(owner: str, argument: str, x: Any) -> Any:
    """``x`` as a floating-point :class:`~mlcore.tensor.Tensor`.

    Integer and boolean input is promoted to the default float dtype (as
    PyTorch's ``torch.sigmoid`` does with an integer tensor), so that
    ``sigmoid``, ``gelu`` or an average pool never compute in integer
    arithmetic; complex, string and object input raises ``TypeError``.
    An integer tensor never requires a gradient, so nothing is detached.
    """
    from mlcore.tensor import Tensor, as_tensor, get_default_dtype

    try:
        x = as_tensor(x)
    except TypeError as err:
        raise TypeError(f"{owner}: {argument} must be a real-valued numeric array, got {type(x).__name__} "
                        f"({err})") from None
    kind = x.dtype.kind
    if kind in "iub":
        return Tensor(x.data.astype(get_default_dtype()))
    if kind != "f":
        raise TypeError(f"{owner}: {argument} must be a real-valued numeric array, got dtype {x.dtype}")
    return x
