"""Type aliases and helpers of the public API's annotations."""

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import scipy.sparse as sp
from numpy.typing import ArrayLike

__all__ = ["ArrayLike", "MatrixLike", "keeps_signature"]

#: Input data: an array-like (numpy array, list, data frame) or a scipy
#: sparse matrix or array.
MatrixLike: TypeAlias = ArrayLike | sp.spmatrix | sp.sparray

_F = TypeVar("_F", bound=Callable[..., Any])


def keeps_signature(decorator: Callable[[Any], Any]) -> Callable[[_F], _F]:
    """``decorator`` itself, typed as keeping the signature it decorates.

    scikit-learn's method decorators (``_fit_context``, ``available_if``)
    have no annotations, so type checkers would see the methods they wrap
    as ``Any``; through this, they see the methods' own annotations.
    """
    return decorator
