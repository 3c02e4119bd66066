"""Module names of sknn 0.2, for the models it pickled or saved with skops.

A pickle names the module of every class it holds (``sknn._classes`` for
the estimators, ``sknn._optimizers`` for a kept optimizer). Those modules
moved into the subpackages; a meta-path finder maps each old name to the
module that holds its classes now, so such models load as they are.
"""

import importlib
import importlib.abc
import importlib.util
import sys

#: Old module -> the module that now holds its classes.
MOVED = {
    "sknn._classes": "sknn.estimators.mlp",
    "sknn._base": "sknn.estimators.base",
    "sknn._display": "sknn.estimators.display",
    "sknn._optimizers": "sknn.nn.optimizers",
    "sknn._schedules": "sknn.nn.schedules",
    "sknn._initializers": "sknn.nn.initializers",
    "sknn._losses": "sknn.nn.losses",
    "sknn._penalties": "sknn.nn.regularizers",
    "sknn._layers": "sknn.nn.layers",
    "sknn._activations": "sknn.nn.activations",
    "sknn._network": "sknn.nn.network",
    "sknn._registry": "sknn.nn.registry",
    "sknn._fit": "sknn.training.trainer",
    "sknn._callbacks": "sknn.training.callbacks",
    "sknn._diagnostics": "sknn.training.diagnostics",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass


_ALIAS = _Alias()


def install():
    if _ALIAS not in sys.meta_path:
        sys.meta_path.append(_ALIAS)
