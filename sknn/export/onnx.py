"""ONNX export through skl2onnx: shape calculators and converters.

The converters are registered with skl2onnx's ``update_registered_converter``
the first time skl2onnx converts after ``import sknn`` (sknn adds a hook to
skl2onnx's conversion entry points when skl2onnx is imported, so ``import
sknn`` itself never imports skl2onnx), or by :func:`register_onnx_converters`.
``skl2onnx.to_onnx`` then converts sknn's estimators (and
:class:`~sknn.TableEncoder`) on their own and inside pipelines, with
skl2onnx's usual classifier options (``zipmap``, ``nocl``,
``output_class_labels``).

The graph is the network's inference form, layer by layer: each layer adds
its own nodes (``Layer.to_onnx``, with the activations' ``onnx`` forms) to a
:class:`Graph`; a layer or activation without an ONNX form stops the export
with an error that names it. Every node is in the default ONNX domain.
"""

import numpy as np

from ..estimators.mlp import MLPClassifier, MLPRegressor
from ..estimators.tabular import TableEncoder, TabularMLPClassifier, TabularMLPRegressor
from ..nn.activations import OUTPUT_ACTIVATIONS

__all__ = ["Graph", "register_onnx_converters"]

_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}


def register_onnx_converters() -> None:
    """Register sknn's estimators with skl2onnx.

    ``import sknn`` already does this when skl2onnx is installed; call it
    after installing skl2onnx into a running session that imported sknn
    before. Calling it again is harmless.

    Raises
    ------
    ImportError
        When skl2onnx is not installed, naming sknn's ``onnx`` extra.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sknn import MLPClassifier, register_onnx_converters
    >>> register_onnx_converters()
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> clf = MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
    ...                     random_state=0).fit(X, [0, 1, 1, 0])
    >>> onx = to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    from .._optional import import_optional

    skl2onnx = import_optional("skl2onnx", "ONNX export")
    skl2onnx.update_registered_converter(
        MLPClassifier,
        "SknnMLPClassifier",
        _classifier_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    skl2onnx.update_registered_converter(
        MLPRegressor, "SknnMLPRegressor", _regressor_shapes, _convert_regressor
    )
    skl2onnx.update_registered_converter(
        TabularMLPClassifier,
        "SknnTabularMLPClassifier",
        _classifier_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    skl2onnx.update_registered_converter(
        TabularMLPRegressor, "SknnTabularMLPRegressor", _regressor_shapes, _convert_regressor
    )
    skl2onnx.update_registered_converter(
        TableEncoder, "SknnTableEncoder", _encoder_shapes, _convert_encoder
    )


# ----------------------------------------------------------------- shapes
def _float_type(operator):
    """The tensor type of the network's arithmetic: double for double input,
    float otherwise (integer and boolean input is cast to float)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    if isinstance(operator.inputs[0].type, DoubleTensorType):
        return DoubleTensorType
    return FloatTensorType


def _check_io(operator, n_outputs):
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=n_outputs
    )
    check_input_and_output_types(
        operator,
        good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType],
    )


def _options(scope_or_container, est):
    return scope_or_container.get_options(est, {"zipmap": True, "nocl": False})


def _label_table(est, nocl):
    """The class labels as an ONNX lookup table: ``(values, 'int' or 'str')``.

    skl2onnx's classifiers output integer or string labels: float labels
    (always whole numbers, scikit-learn refuses others as classes) become
    integers, as in skl2onnx's own converters. A single class is repeated so
    that either probability column looks it up.
    """
    classes = np.arange(len(est.classes_)) if nocl else np.asarray(est.classes_)
    if classes.dtype.kind in "US":
        table, kind = classes.astype(str), "str"
    else:
        table, kind = classes.astype(np.int64), "int"
    if len(table) == 1:
        table = np.repeat(table, 2)
    return table, kind


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    _check_io(operator, 2)
    est = operator.raw_operator
    options = _options(operator.scope_inst, est)
    n = operator.inputs[0].get_first_dimension()
    multilabel = est._is_multilabel()
    if len(est.classes_) == 1 and options["zipmap"] is not False:
        raise ValueError(
            "This MLPClassifier was fitted on a single class: predict_proba has two "
            "columns (as scikit-learn's) for one label, which skl2onnx's ZipMap "
            "cannot pair. Convert it with options={'zipmap': False}."
        )
    if multilabel:
        label_type, label_shape = Int64TensorType, [n, est.n_outputs_]
    else:
        kind = _label_table(est, options["nocl"])[1]
        label_type = StringTensorType if kind == "str" else Int64TensorType
        label_shape = [n]
    n_columns = est.n_outputs_ if est.n_outputs_ > 1 else 2
    operator.outputs[0].type = label_type(label_shape)
    operator.outputs[1].type = _float_type(operator)([n, n_columns])


def _regressor_shapes(operator):
    _check_io(operator, 1)
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([n, operator.raw_operator.n_outputs_])


def _encoder_shapes(operator):
    _check_io(operator, 1)
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([n, operator.raw_operator.n_features_out_])


# ------------------------------------------------------------------ graph
class Graph:
    """Adds nodes and constants of one float type to a skl2onnx container:
    what a layer's ``to_onnx(graph, x)`` and an activation's ``onnx(graph, z)``
    build with.

    Attributes
    ----------
    proto : int
        The graph's ONNX element type, :attr:`FLOAT` or :attr:`DOUBLE`.
    dtype : numpy dtype
        The same as a numpy type.
    """

    #: ONNX's element types (``onnx.TensorProto``), for ``Cast`` nodes.
    FLOAT, INT64, STRING, DOUBLE = 1, 7, 8, 11

    def __init__(self, scope, container, operator):
        from skl2onnx.common.data_types import DoubleTensorType

        self.scope, self.container = scope, container
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        self.proto = self.DOUBLE if double else self.FLOAT
        self.dtype = np.float64 if double else np.float32

    def node(self, op_type, inputs, out=None, **attrs):
        """Add one node; returns the name of its output."""
        out = out or self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, inputs, out, name=name, **attrs)
        return out

    def const(self, value, proto=None, name="c"):
        """A constant tensor (of the graph's float type unless ``proto``)."""
        array = np.asarray(value)
        if proto is None:
            proto, array = self.proto, array.astype(self.dtype)
        out = self.scope.get_unique_variable_name(name)
        content = array.ravel().tolist() if array.dtype.kind != "U" else [
            s.encode("utf-8") for s in array.ravel()
        ]
        self.container.add_initializer(out, proto, list(array.shape), content)
        return out


def _forward(g, operator):
    """The network's output activations on the operator's input (through the
    estimator's own input and output steps, ``_onnx_input`` and
    ``_onnx_output``)."""
    est = operator.raw_operator
    a = est._onnx_input(g, g.node("Cast", [operator.inputs[0].full_name], to=g.proto))
    net = est._inference_network(np.float64)
    for layer in net.layers:
        a = layer.to_onnx(g, a)
    P = OUTPUT_ACTIVATIONS[est.out_activation_].onnx(g, a)
    if net.members > 1:  # rows are sample-major: each sample's members in turn
        k, units = net.members, net.n_outputs
        mean = np.kron(np.ones((k, 1)), np.eye(units)) / k  # (k * units, units)
        P = g.node("MatMul", [g.node("Reshape", [P, g.const([-1, k * units], g.INT64)]),
                              g.const(mean)])
    return est._onnx_output(g, P)


def _convert_regressor(scope, operator, container):
    g = Graph(scope, container, operator)
    g.node("Identity", [_forward(g, operator)], out=operator.outputs[0].full_name)


def _convert_encoder(scope, operator, container):
    g = Graph(scope, container, operator)
    x = g.node("Cast", [operator.inputs[0].full_name], to=g.proto)
    g.node("Identity", [operator.raw_operator.to_onnx(g, x)], out=operator.outputs[0].full_name)


def _convert_classifier(scope, operator, container):
    est = operator.raw_operator
    g = Graph(scope, container, operator)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    P = _forward(g, operator)
    if est._is_multilabel():  # each label on its own, as predict does
        g.node("Identity", [P], out=proba)
        g.node("Cast", [g.node("Greater", [P, g.const(0.5)])], out=label, to=g.INT64)
        return
    if est.n_outputs_ == 1:  # binary (or single class): [1 - p, p]
        P = g.node("Concat", [g.node("Sub", [g.const([[1.0]]), P]), P], axis=1)
    g.node("Identity", [P], out=proba)
    # ArgMax breaks ties towards the first class, as numpy's argmax and
    # sknn's `p > 0.5` do
    index = g.node("ArgMax", [P], axis=1, keepdims=0)
    table, kind = _label_table(est, _options(container, est)["nocl"])
    proto = g.STRING if kind == "str" else g.INT64
    g.node("Gather", [g.const(table, proto=proto, name="classes"), index], out=label, axis=0)
