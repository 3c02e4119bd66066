"""Components: building blocks configured by their constructor's parameters.

Optimizers, schedules, regularizers, constraints, initializers, losses and
layers follow scikit-learn's convention for estimators (without importing
scikit-learn): the constructor takes keyword parameters with defaults and
stores each unchanged as an attribute of the same name; ``get_params`` and
``set_params`` read and write them, nested components included
(``solver__learning_rate``), so that an estimator holding a component can be
cloned, grid-searched, pickled and saved with skops. Whatever a component
computes from its parameters (state, buffers, derived constants) it sets up
later, when it is built for a fit.
"""

import inspect
import math
from numbers import Integral, Real

__all__ = ["Component", "Interval", "clone_component"]


class Interval:
    """A constraint on a number parameter: ``kind`` (``Real`` or ``Integral``)
    between ``low`` and ``high`` (None for no bound), ``closed`` on "both",
    "left", "right" or "neither" side. ``None`` is allowed where ``none_ok``.

    Examples
    --------
    >>> Interval(Real, 0, 1, "left")(0.0), Interval(Real, 0, 1, "left")(1.0)
    (True, False)
    >>> Interval(Real, 0, 1, "left")
    a number in [0, 1)
    """

    def __init__(self, kind, low, high, closed="both", none_ok=False):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed
        self.none_ok = none_ok

    def __call__(self, value):
        if value is None:
            return self.none_ok
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if self.kind is Real and math.isnan(value):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and not (value >= self.low if left else value > self.low):
            return False
        return self.high is None or (value <= self.high if right else value < self.high)

    def __repr__(self):
        what = "an integer" if self.kind is Integral else "a number"
        if self.high is None:
            sign = ">=" if self.closed in ("both", "left") else ">"
            text = f"{what} {sign} {self.low}"
        else:
            lo = "[" if self.closed in ("both", "left") else "("
            hi = "]" if self.closed in ("both", "right") else ")"
            text = f"{what} in {lo}{self.low}, {self.high}{hi}"
        return text + (" or None" if self.none_ok else "")


class Component:
    """Base class of the configurable building blocks.

    Examples
    --------
    >>> class Scale(Component):
    ...     def __init__(self, factor=1.0, inner=None):
    ...         self.factor = factor
    ...         self.inner = inner
    >>> s = Scale(2.0, inner=Scale(3.0))
    >>> s
    Scale(factor=2.0, inner=Scale(factor=3.0))
    >>> s.get_params()
    {'factor': 2.0, 'inner': Scale(factor=3.0), 'inner__factor': 3.0, 'inner__inner': None}
    >>> Scale()
    Scale()
    >>> s.set_params(inner__factor=5.0).inner.factor
    5.0
    """

    #: Parameter name -> a predicate (such as an :class:`Interval`) its value
    #: must satisfy; :meth:`validate` checks them.
    _constraints: dict = {}

    @classmethod
    def _param_names(cls):
        names = cls.__dict__.get("_component_param_names")
        if names is None:
            names = ()
            if cls.__init__ is not object.__init__:
                names = tuple(
                    p.name
                    for p in inspect.signature(cls.__init__).parameters.values()
                    if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                )
            cls._component_param_names = names  # read once per class
        return names

    def get_params(self, deep=True):
        """The constructor's parameters, and with ``deep`` those of the
        components among them as ``name__parameter``."""
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
        return params

    def set_params(self, **params):
        """Set parameters (``name__parameter`` for a nested component's); returns self."""
        valid = self.get_params(deep=False)
        nested = {}
        for key, value in params.items():
            name, nest, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are: {sorted(valid)}."
                )
            if nest:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub in nested.items():
            valid[name].set_params(**sub)
        return self

    def validate(self):
        """Check the parameters against ``_constraints``; returns self.

        Raises
        ------
        ValueError
            Naming the parameter, what it must be, and the value it has.
        """
        for name, valid in self._constraints.items():
            value = getattr(self, name)
            if not valid(value):
                raise ValueError(
                    f"{type(self).__name__}'s {name} must be {valid!r}, got {value!r}."
                )
        return self

    def __repr__(self):
        # the parameters that differ from their defaults, as scikit-learn shows them
        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()}
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                         if not _is_default(v, defaults.get(k, inspect.Parameter.empty)))
        return f"{type(self).__name__}({args})"


def _is_default(value, default):
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):  # e.g. arrays
        return False


def clone_component(value):
    """A new, unfitted copy of a component built from its parameters (nested
    components cloned too); anything else is returned as it is.

    Examples
    --------
    >>> from sknn.nn import Adam
    >>> a = Adam(learning_rate=0.01)
    >>> b = clone_component(a)
    >>> b is a, b.learning_rate
    (False, 0.01)
    """
    if not isinstance(value, Component):
        return value
    params = {k: clone_component(v) for k, v in value.get_params(deep=False).items()}
    return type(value)(**params)
