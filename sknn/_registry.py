"""Registries: one per kind of building block, resolving names to objects.

Activations, initializers, losses, penalties, optimizers and learning-rate
schedules each have a :class:`Registry`. The estimators' parameter
validation, their docstrings and the command line read the valid names from
the registries, so registering a new entry is all it takes to make it
available everywhere.
"""

import inspect
from collections.abc import Mapping

__all__ = ["Registry"]


class Registry(Mapping):
    """Names of one kind of building block, mapped to objects or classes.

    Parameters
    ----------
    kind : str
        What the entries are, for error messages (e.g. ``"activation"``).

    Examples
    --------
    >>> shapes = Registry("shape")
    >>> @shapes.register("square")
    ... class Square:
    ...     def __init__(self, side=1.0):
    ...         self.side = side
    >>> sorted(shapes)
    ['square']
    >>> shapes.create("square", {"side": 2.0, "colour": "red"}).side
    2.0
    >>> shapes["circle"]
    Traceback (most recent call last):
    ...
    KeyError: "unknown shape 'circle'; choose one of: 'square'"
    """

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}

    def register(self, name, entry=None):
        """Register ``entry`` under ``name``; without ``entry``, a decorator."""
        if entry is None:
            return lambda obj: self.register(name, obj)
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def __getitem__(self, name):
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            choices = ", ".join(repr(n) for n in self)
            raise KeyError(f"unknown {self.kind} {name!r}; choose one of: {choices}") from None

    def __iter__(self):
        return iter(sorted(self._entries))

    def __len__(self):
        return len(self._entries)

    def create(self, name, params):
        """Instantiate the class registered as ``name``.

        Its constructor declares the hyperparameters it takes; they are
        looked up by name in ``params`` (for example an estimator's
        ``get_params()``), and other keys are ignored.
        """
        cls = self[name]
        wanted = inspect.signature(cls).parameters
        return cls(**{key: params[key] for key in wanted if key in params})

    def choices(self):
        """The registered names, quoted and comma separated, for documentation."""
        return ", ".join(repr(name) for name in self)
