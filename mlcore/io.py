"""Save and load parameters as ``.npz`` archives: plain arrays, never pickle.

An ``.npz`` file is a zip archive holding one ``.npy`` file per array, named
by the parameter's dotted name (``"layers.0.weight"``). ``.npy`` stores the
dtype, the shape and the raw bytes, so a round trip is exact to the bit.
Pickle is refused both ways: loading a pickle can run arbitrary code.

Chapter 8: Losses and the training loop (saving the best model).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from mlcore.nn.module import Module

__all__ = ["save", "load", "load_into"]


def save(state: Module | Mapping[str, np.ndarray], path: str | Path) -> None:
    """Write a module's parameters, or a dictionary of arrays, to ``path`` as an ``.npz`` archive.

    Parameters
    ----------
    state : Module or mapping of str to array_like
        A module (its :meth:`~mlcore.nn.Module.state_dict` is saved) or
        arrays by name. Only numeric and boolean arrays are accepted.
    path : str or Path
        The file to write, used as given (no suffix is added).

    Raises
    ------
    TypeError
        A name is not a string, or an array holds Python objects (it could
        only be stored by pickling).

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """
    arrays = state.state_dict() if isinstance(state, Module) else dict(state)
    checked = {}
    for name, value in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save: '{name}' has dtype {array.dtype}; only numeric and boolean "
                            f"arrays can be saved without pickle")
        checked[name] = array
    # What np.savez does, written out so that no name can clash with its keyword arguments.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in checked.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, array, allow_pickle=False)


def load(path: str | Path) -> dict[str, np.ndarray]:
    """Read an ``.npz`` archive written by :func:`save` (or ``np.savez``) into a dictionary of arrays.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not an ``.npz`` archive, or an array in it is pickled
        (it is not loaded).

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"load: {path} is not an .npz archive of plain arrays ({error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} holds a single array (.npy), not an .npz archive of named arrays")
    with archive:
        state = {}
        for name in archive.files:
            try:
                state[name] = archive[name]
            except ValueError as error:
                raise ValueError(f"load: '{name}' in {path} is a pickled object array; "
                                 f"refusing to unpickle it") from error
    return state


def load_into(module: Module, path: str | Path) -> None:
    """Load the parameters and buffers saved in ``path`` into ``module``, checking every name and shape first.

    Values are converted to each parameter's dtype. Nothing is changed
    unless the file matches the module exactly.

    Raises
    ------
    ValueError
        Listing every missing name, unexpected name and shape mismatch.

    Notes
    -----
    Chapter 8: Losses and the training loop.
    """
    state = load(path)
    own = {name: p.shape for name, p in module.named_parameters()}
    own.update((name, b.shape) for name, b in module.named_buffers())
    problems = []
    missing = [name for name in own if name not in state]
    unexpected = [name for name in state if name not in own]
    if missing:
        problems.append(f"missing from the file: {', '.join(missing)}")
    if unexpected:
        problems.append(f"in the file but not in the model: {', '.join(unexpected)}")
    for name, shape in own.items():
        if name in state and state[name].shape != shape:
            problems.append(f"'{name}' has shape {state[name].shape} in the file but {shape} in the model")
    if problems:
        raise ValueError(f"load_into: {path} does not match {type(module).__name__}:\n  "
                         + "\n  ".join(problems))
    module.load_state_dict(state)
