"""Save and load parameters as ``.npz`` archives: plain arrays, never pickle.

An ``.npz`` file is a zip archive holding one ``.npy`` file per array, named
by the parameter's dotted name (``"layers.0.weight"``). ``.npy`` stores the
dtype, the shape and the raw bytes, so a round trip is exact to the bit.
Pickle is refused both ways: loading a pickle can run arbitrary code.

Chapter 8: Losses and the training loop (saving the best model).
:func:`save_optimizer` and :func:`load_optimizer` do the same for an
optimiser's state dict (and a scheduler's), flattened to names such as
``"state.0.exp_avg"`` and ``"param_groups.1.lr"``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mlcore.nn.module import Module

__all__ = ["save", "load", "load_into", "save_optimizer", "load_optimizer"]


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
    # Atomic: write a temporary file in the same directory, then rename it over ``path``,
    # so a save that fails partway (a full disk) never replaces a good checkpoint.
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, array in checked.items():
                    with archive.open(name + ".npy", "w", force_zip64=True) as f:
                        np.lib.format.write_array(f, array, allow_pickle=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a checkpoint is an ordinary readable file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
        members = set(archive.zip.namelist())
        for name in archive.files:
            if name + ".npy" not in members:
                raise ValueError(f"load: member '{name}' of {path} is not an .npy array; an .npz archive "
                                 f"written by save holds only .npy members")
            try:
                state[name] = archive[name]
            except ValueError as error:
                if "allow_pickle" in str(error) or "pickle" in str(error).lower():
                    raise ValueError(f"load: '{name}' in {path} is a pickled object array; "
                                     f"refusing to unpickle it") from error
                raise ValueError(f"load: '{name}' in {path} is corrupt or truncated ({error})") from error
            except (EOFError, OSError, zipfile.BadZipFile) as error:
                raise ValueError(f"load: '{name}' in {path} is corrupt or truncated ({error})") from error
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


def _flatten_optimizer(optimizer: Any, scheduler: Any = None) -> dict[str, np.ndarray]:
    state = optimizer.state_dict()
    flat: dict[str, np.ndarray] = {}
    for i, entries in state["state"].items():
        for key, value in entries.items():
            flat[f"state.{i}.{key}"] = np.asarray(value)
    for j, group in enumerate(state["param_groups"]):
        for key, value in group.items():
            flat[f"param_groups.{j}.{key}"] = np.asarray(value)
    if scheduler is not None:
        for key, value in scheduler.state_dict().items():
            flat[f"scheduler.{key}"] = np.asarray(value)
    return flat


def _unflatten_optimizer(flat: Mapping[str, np.ndarray], path: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state: dict[int, dict[str, Any]] = {}
    groups: dict[int, dict[str, Any]] = {}
    scheduler: dict[str, Any] = {}
    for name, value in flat.items():
        parts = name.split(".")
        try:
            if parts[0] == "state" and len(parts) == 3:
                state.setdefault(int(parts[1]), {})[parts[2]] = value
                continue
            if parts[0] == "param_groups" and len(parts) == 3:
                if parts[2] == "params":
                    item: Any = [int(i) for i in value.reshape(-1)]
                elif value.ndim == 0:
                    item = value.item()
                else:
                    item = tuple(value.tolist())
                groups.setdefault(int(parts[1]), {})[parts[2]] = item
                continue
            if parts[0] == "scheduler" and len(parts) == 2:
                scheduler[parts[1]] = value.item() if value.ndim == 0 else value.tolist()
                continue
        except ValueError:
            pass
        raise ValueError(f"load_optimizer: {path} has an entry '{name}' that is not part of an optimizer "
                         f"state (expected state.<i>.<name>, param_groups.<j>.<name> or scheduler.<name>)")
    if sorted(groups) != list(range(len(groups))):
        raise ValueError(f"load_optimizer: {path} has parameter groups {sorted(groups)}, not 0..{len(groups) - 1}")
    return {"state": state, "param_groups": [groups[j] for j in range(len(groups))]}, scheduler


def save_optimizer(optimizer: Any, path: str | Path, scheduler: Any = None) -> None:
    """Write an optimiser's :meth:`~mlcore.optim.Optimizer.state_dict` (and a scheduler's) to an ``.npz`` file.

    The nested dictionary is flattened to arrays named ``state.<i>.<name>``
    (per-parameter state, ``i`` as in the state dict), ``param_groups.<j>.<name>``
    (hyper-parameters and the parameter indices) and ``scheduler.<name>``.
    No pickle is involved.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """
    save(_flatten_optimizer(optimizer, scheduler), path)


def load_optimizer(optimizer: Any, path: str | Path, scheduler: Any = None) -> None:
    """Restore an optimiser (and a scheduler) from a file written by :func:`save_optimizer`.

    The optimiser must have been built on the same parameters, in the same
    groups. Everything is checked before anything changes
    (:meth:`~mlcore.optim.Optimizer.load_state_dict`); a file that does not
    match raises ``ValueError`` and leaves both objects as they were.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """
    state, scheduler_state = _unflatten_optimizer(load(path), path)
    if scheduler is None and scheduler_state:
        raise ValueError(f"load_optimizer: {path} holds a scheduler state; pass scheduler= to restore it")
    if scheduler is not None and not scheduler_state:
        raise ValueError(f"load_optimizer: {path} holds no scheduler state, but a scheduler was given")
    before = optimizer.state_dict()
    optimizer.load_state_dict(state)
    if scheduler is not None:
        try:
            scheduler.load_state_dict(scheduler_state)
        except (TypeError, ValueError):
            optimizer.load_state_dict(before)   # leave the optimiser as it was
            raise
