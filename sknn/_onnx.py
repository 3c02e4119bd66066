"""ONNX export through skl2onnx: shape calculators and converters.

``import sknn`` registers them with skl2onnx's ``update_registered_converter``
when skl2onnx is installed (the ``onnx`` extra), so ``skl2onnx.to_onnx``
converts sknn's estimators on their own and inside pipelines, with
skl2onnx's usual classifier options (``zipmap``, ``nocl``,
``output_class_labels``). The graph is the network's inference form, layer
by layer: a dense layer is a ``Gemm`` and its activation, batch
normalization the affine map of its running statistics, layer normalization
its per-sample normalization; dropout acts only during training and exports
as nothing. Every node is in the default ONNX domain.
"""

import importlib.util

import numpy as np

from ._activations import _LEAKY_SLOPE, _SELU_ALPHA, _SELU_SCALE
from ._classes import MLPClassifier, MLPRegressor
from ._layers import (
    _NORM_EPS,
    ActivationLayer,
    BatchNormalization,
    Dense,
    Dropout,
    LayerNormalization,
)

__all__ = ["register_onnx_converters"]

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
    from ._optional import import_optional

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


def _register_if_installed():
    """Register with skl2onnx if it is installed; nothing otherwise.

    An installed skl2onnx that fails to import (e.g. beside an incompatible
    onnx) does not stop ``import sknn``; ``register_onnx_converters`` then
    reports it.
    """
    if importlib.util.find_spec("skl2onnx") is None:
        return
    try:
        register_onnx_converters()
    except ImportError:
        pass


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


# ------------------------------------------------------------------ graph
class _Graph:
    """Adds nodes and constants of one dtype to a skl2onnx container."""

    def __init__(self, scope, container, operator):
        from onnx import TensorProto
        from skl2onnx.common.data_types import DoubleTensorType

        self.scope, self.container = scope, container
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        self.proto = TensorProto.DOUBLE if double else TensorProto.FLOAT
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


# Hidden activations as ONNX nodes. onnxruntime has no float64 Elu, Selu or
# Softplus, and LeakyRelu's and Selu's constants would be float32
# attributes: those activations are built from elementary nodes with
# constants of the graph's dtype, so float32 and float64 graphs match sknn.
def _leaky_relu(g, z):
    return g.node("Max", [z, g.node("Mul", [z, g.const(_LEAKY_SLOPE)])])


def _exp_minus_one_below_zero(g, z):
    """``exp(min(z, 0)) - 1``: the negative branch of elu, 0 for z >= 0."""
    return g.node("Sub", [g.node("Exp", [g.node("Min", [z, g.const(0.0)])]), g.const(1.0)])


def _elu(g, z):
    return g.node("Add", [g.node("Relu", [z]), _exp_minus_one_below_zero(g, z)])


def _selu(g, z):
    # scale * z for z > 0, scale * alpha * (exp(z) - 1) otherwise
    return g.node(
        "Add",
        [
            g.node("Mul", [g.node("Relu", [z]), g.const(_SELU_SCALE)]),
            g.node("Mul", [_exp_minus_one_below_zero(g, z), g.const(_SELU_SCALE * _SELU_ALPHA)]),
        ],
    )


def _softplus(g, z):
    # max(z, 0) + log(1 + exp(-|z|)): no overflow for large |z|
    tail = g.node("Exp", [g.node("Neg", [g.node("Abs", [z])])])
    return g.node("Add", [g.node("Relu", [z]), g.node("Log", [g.node("Add", [tail, g.const(1.0)])])])


def _gelu(g, z):
    # exact form z * Phi(z) = 0.5 * z * (1 + erf(z / sqrt(2))), opset >= 9;
    # onnxruntime has no float64 Erf, so float64 graphs take erf in float32
    # (an error below 1e-7 times z)
    from onnx import TensorProto

    scaled = g.node("Mul", [z, g.const(np.sqrt(0.5))])
    if g.proto == TensorProto.FLOAT:
        erf = g.node("Erf", [scaled])
    else:
        single = g.node("Cast", [scaled], to=TensorProto.FLOAT)
        erf = g.node("Cast", [g.node("Erf", [single])], to=g.proto)
    half_z = g.node("Mul", [z, g.const(0.5)])
    return g.node("Mul", [half_z, g.node("Add", [erf, g.const(1.0)])])


def _exp(g, z):
    # sknn clips one below log(max) so that exp stays finite
    top = np.log(np.finfo(g.dtype).max) - 1
    return g.node("Exp", [g.node("Min", [z, g.const(top)])])


def _single(op_type, **attrs):
    return lambda g, z: g.node(op_type, [z], **attrs)


_ACTIVATION_NODES = {
    "identity": lambda g, z: z,
    "logistic": _single("Sigmoid"),
    "tanh": _single("Tanh"),
    "relu": _single("Relu"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softplus": _softplus,
    "gelu": _gelu,
    # output activations
    "softmax": _single("Softmax", axis=1),
    "exp": _exp,
}


def _dense(g, layer, a):
    z = g.node("Gemm", [a, g.const(layer.coef, name="coef"), g.const(layer.intercept,
                                                                   name="intercept")])
    return _ACTIVATION_NODES[layer.activation.name](g, z)


def _batch_normalization(g, layer, z):
    # as sknn computes it: (z - mean) * (scale / sqrt(var + eps)) + shift
    factor = layer.scale / np.sqrt(layer.running_var + _NORM_EPS)
    centered = g.node("Sub", [z, g.const(layer.running_mean, name="mean")])
    return g.node("Add", [g.node("Mul", [centered, g.const(factor, name="factor")]),
                          g.const(layer.shift, name="shift")])


def _layer_normalization(g, layer, z):
    # row means as products with a column of 1/n: no opset-dependent reductions
    average = g.const(np.full((layer.units, 1), 1.0 / layer.units), name="average")
    centered = g.node("Sub", [z, g.node("MatMul", [z, average])])
    var = g.node("MatMul", [g.node("Mul", [centered, centered]), average])
    xhat = g.node("Div", [centered, g.node("Sqrt", [g.node("Add", [var, g.const(_NORM_EPS)])])])
    return g.node("Add", [g.node("Mul", [xhat, g.const(layer.scale, name="scale")]),
                          g.const(layer.shift, name="shift")])


_LAYER_NODES = {
    Dense: _dense,
    BatchNormalization: _batch_normalization,
    LayerNormalization: _layer_normalization,
    ActivationLayer: lambda g, layer, z: _ACTIVATION_NODES[layer.activation.name](g, z),
    Dropout: lambda g, layer, z: z,  # training only
}


def _forward(g, operator):
    """The network's output activations on the operator's input."""
    est = operator.raw_operator
    a = g.node("Cast", [operator.inputs[0].full_name], to=g.proto)
    for layer in est._inference_network(np.float64).layers:
        a = _LAYER_NODES[type(layer)](g, layer, a)
    return _ACTIVATION_NODES[est.out_activation_](g, a)


def _convert_regressor(scope, operator, container):
    g = _Graph(scope, container, operator)
    g.node("Identity", [_forward(g, operator)], out=operator.outputs[0].full_name)


def _convert_classifier(scope, operator, container):
    from onnx import TensorProto

    est = operator.raw_operator
    g = _Graph(scope, container, operator)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    P = _forward(g, operator)
    if est._is_multilabel():  # each label on its own, as predict does
        g.node("Identity", [P], out=proba)
        g.node("Cast", [g.node("Greater", [P, g.const(0.5)])], out=label, to=TensorProto.INT64)
        return
    if est.n_outputs_ == 1:  # binary (or single class): [1 - p, p]
        P = g.node("Concat", [g.node("Sub", [g.const([[1.0]]), P]), P], axis=1)
    g.node("Identity", [P], out=proba)
    # ArgMax breaks ties towards the first class, as numpy's argmax and
    # sknn's `p > 0.5` do
    index = g.node("ArgMax", [P], axis=1, keepdims=0)
    table, kind = _label_table(est, _options(container, est)["nocl"])
    proto = TensorProto.STRING if kind == "str" else TensorProto.INT64
    g.node("Gather", [g.const(table, proto=proto, name="classes"), index], out=label, axis=0)
