"""The shared argument checks (mlcore/_checks.py): canonical values back, one message shape, bools rejected."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore._checks import check_choice, check_int, check_int_tuple, check_number


def test_check_int():
    assert check_int("f", "n", 3) == 3 and type(check_int("f", "n", np.int64(3))) is int
    assert check_int("f", "n", 0, minimum=0) == 0
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match=r"f: n must be a positive integer, got"):
            check_int("f", "n", bad)
    with pytest.raises(ValueError, match="f: n must be a non-negative integer, got -1"):
        check_int("f", "n", -1, minimum=0)
    with pytest.raises(ValueError, match="f: n must be an integer >= 2, got 1"):
        check_int("f", "n", 1, minimum=2)


def test_check_int_tuple():
    assert check_int_tuple("f", "stride", 2, 2) == (2, 2)
    assert check_int_tuple("f", "stride", [1, np.int32(3)], 2) == (1, 3)
    assert check_int_tuple("f", "padding", (0,), 1, minimum=0) == (0,)
    for bad in ((1, 2, 3), (1, 0), 0, (1.0, 2), (True, 1), "ab", None, 1.5):
        with pytest.raises(ValueError, match=r"f: stride must be a positive integer or a tuple of 2, got"):
            check_int_tuple("f", "stride", bad, 2)


def test_check_number():
    assert check_number("f", "p", 0.5, 0, 1, high_open=True) == 0.5
    assert check_number("f", "eps", np.float32(1e-5), 0, low_open=True) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match=r"f: p must be a number in \[0, 1\), got 1"):
        check_number("f", "p", 1, 0, 1, high_open=True)
    with pytest.raises(ValueError, match="f: eps must be a number > 0, got 0"):
        check_number("f", "eps", 0, 0, low_open=True)
    with pytest.raises(ValueError, match="f: x must be a number <= 2"):
        check_number("f", "x", 3, high=2)
    for bad in (True, "1", None, float("nan"), float("inf"), np.array([1.0, 2.0])):
        with pytest.raises(ValueError, match="f: x must be a finite number"):
            check_number("f", "x", bad)


def test_check_choice():
    assert check_choice("f", "reduction", "sum", ("mean", "sum")) == "sum"
    for bad in ("max", None, ["sum"], np.array(["sum", "mean"])):
        with pytest.raises(ValueError, match=r"f: reduction must be one of \('mean', 'sum'\), got"):
            check_choice("f", "reduction", bad, ("mean", "sum"))


def test_layers_use_the_shared_checks():
    from mlcore import nn

    with pytest.raises(ValueError, match="Linear: in_features must be a positive integer, got 2.5"):
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="BatchNorm1d: num_features must be a positive integer, got True"):
        nn.BatchNorm1d(True)
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be a positive integer or a tuple of 2, got \(3, 0\)"):
        nn.Conv2d(1, 2, (3, 0))
    assert nn.Linear(np.int64(2), 3).in_features == 2
