"""Registries: one per kind of building block, mapping names to entries.

Activations, initializers, losses, regularizers, optimizers, learning-rate
schedules and normalization layers each have a :class:`Registry`. The
estimators' parameter validation, their docstrings and the command line read
the valid names from the registries, so registering a new entry is all it
takes to make a name available everywhere. How the estimators' flat
scikit-learn parameters configure the built-in entries is written out in one
place, ``sknn.estimators.components``; an entry registered later is built
with its own defaults (pass an instance to set its parameters).
"""

from collections.abc import Mapping, Set

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
    >>> shapes["square"]().side
    1.0
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

    def unregister(self, name):
        """Remove ``name`` (for example an entry a test registered)."""
        del self._entries[name]

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

    def names(self, *extra, where=None):
        """A live set of the registered names (those whose entry satisfies
        ``where``), plus ``extra``: entries registered later are in it too.

        Examples
        --------
        >>> kinds = Registry("kind")
        >>> valid = kinds.names("none")
        >>> kinds.register("big", 2) and sorted(valid)
        ['big', 'none']
        """
        return _Names(self, extra, where)

    def choices(self):
        """The registered names, quoted and comma separated, for documentation."""
        return ", ".join(repr(name) for name in self)


class _Names(Set):
    """The names of a registry as a set that follows the registry."""

    def __init__(self, registry, extra, where):
        self._registry, self._extra, self._where = registry, tuple(extra), where

    def _current(self):
        names = [n for n in self._registry if self._where is None or self._where(self._registry[n])]
        return sorted({*names, *self._extra})

    def __contains__(self, name):
        return name in self._current()

    def __iter__(self):
        return iter(self._current())

    def __len__(self):
        return len(self._current())

    @classmethod
    def _from_iterable(cls, iterable):
        return set(iterable)
