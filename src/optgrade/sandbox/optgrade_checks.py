"""Helpers for the checks of hidden tests: trusted code a question's check imports so that it states
only what it checks (`from optgrade_checks import follows`).

It is importable wherever a check runs:
- in the trusted checker (`checker.py` puts its own folder, this one, first on sys.path);
- in Otter's grading kernel (`otter run`): `optgrade build` ships a copy as the autograder zip's
  `files/optgrade_checks.py`, which Otter copies next to the notebook.
It imports numpy only; the Keras helpers import keras when called.

Every helper raises AssertionError with a message a student may read, or returns plain values.
"""

from __future__ import annotations

import math

__all__ = ["LAYER_KINDS", "float_rows", "follows", "keras_sequential_layers", "rebuild_sequential"]


def float_rows(rows, *, what: str = "the function") -> list:
    """`rows` as probe data must be: a non-empty list of lists of floats (exactly float, not a string)."""
    assert isinstance(rows, list) and rows, f"{what} returned no steps"
    assert all(isinstance(row, list) and all(type(v) is float for v in row) for row in rows)
    return rows


def follows(rows, column: int, start: float, update, *, first_step: float = 0.0, either_sign: bool = False,
            rtol: float = 1e-6, atol: float = 1e-6) -> bool:
    """Whether column `column` of `rows` is a trajectory of `update`: starting from `start`, every
    row's value is `update(x, step)` of the value x before it, where `step` is the change that led
    to x (`first_step` for the first row). With `either_sign`, only the size of each change must
    match (for tests that leave the sign of the update to other tests)."""
    import numpy as np

    x, step = start, first_step
    for row in rows:
        if len(row) <= column:
            return False
        expected = update(x, step)
        if either_sign:
            if not np.isclose(abs(row[column] - x), abs(expected - x), rtol=rtol, atol=atol):
                return False
        elif not np.isclose(row[column], expected, rtol=rtol, atol=atol):
            return False
        x, step = row[column], row[column] - x
    return True


LAYER_KINDS = frozenset({
    "InputLayer", "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D",
    "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Flatten", "Reshape", "Dense", "Dropout",
    "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "BatchNormalization", "LayerNormalization",
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Rescaling", "ZeroPadding2D", "Cropping2D"})
NESTED_KINDS = {
    "keras.initializers": {"Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal", "TruncatedNormal",
                           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                           "LecunNormal", "VarianceScaling", "Orthogonal"},
    "keras.regularizers": {"L1", "L2", "L1L2", "OrthogonalRegularizer"},
    "keras.constraints": {"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"},
    "keras": {"DTypePolicy"},
}
ACTIVATIONS = frozenset({
    "relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "leaky_relu", "relu6", "hard_sigmoid", "hard_silu", "hard_swish", "exponential", "mish",
    "log_softmax"})


def _plain(node, depth=0):
    # scalars, short strings and short lists of ints (sizes, strides, padding): never an array
    if isinstance(node, list):
        assert depth < 2 and len(node) <= 8, "configs may hold no arrays (weights are not accepted)"
        for value in node:
            assert value is None or type(value) in (int, bool, str) or isinstance(value, list), \
                "configs may hold no arrays of numbers (weights are not accepted)"
            _plain(value, depth + 1)
    else:
        assert node is None or type(node) in (str, int, float, bool), "unexpected value in the config"
        assert not isinstance(node, str) or len(node) <= 100
        assert not isinstance(node, float) or math.isfinite(node), "non-finite number in the config"


def _nested(node):
    # an initializer, regularizer, constraint or dtype policy with scalar parameters only
    assert isinstance(node, dict) and set(node) <= {"module", "class_name", "config", "registered_name"}
    module, kind = node.get("module"), node.get("class_name")
    assert kind in NESTED_KINDS.get(module, ()), f"{module}.{kind} is not allowed"
    assert node.get("registered_name") in (None, kind)
    options = node.get("config", {})
    assert isinstance(options, dict) and all(isinstance(key, str) for key in options)
    for key, value in options.items():
        assert not isinstance(value, (dict, list)) or key == "axis", \
            f"{kind}: only scalar parameters are accepted (no weights)"
        _plain(value)
    if kind == "DTypePolicy":
        assert options.get("name") in ("float32", "float64"), "only float32 or float64 layers"


def _clean_layer(layer):
    assert isinstance(layer, dict) and set(layer) <= {"module", "class_name", "config", "registered_name",
                                                      "build_config"}
    kind = layer.get("class_name")
    assert layer.get("module") == "keras.layers" and kind in LAYER_KINDS, \
        f"layer {layer.get('module')}.{kind} is not allowed"
    assert layer.get("registered_name") in (None, kind)
    options = layer.get("config")
    assert isinstance(options, dict) and all(isinstance(key, str) for key in options)
    assert options.get("trainable", True) is True, f"{kind}: every layer must be trainable"
    assert "weights" not in options, "weights are not accepted"
    for key, value in options.items():
        if isinstance(value, dict):
            _nested(value)
        elif key in ("activation",) and value is not None:
            assert value in ACTIVATIONS, f"activation {value!r} is not allowed"
        else:
            _plain(value)
    # a stored input shape (build_config) is compared with the real one by the caller, then dropped:
    # the network is built from its declared input
    declared = (layer.get("build_config") or {}).get("input_shape") if isinstance(layer.get("build_config"), dict) else None
    assert layer.get("build_config") is None or isinstance(layer.get("build_config"), dict)
    _plain(declared)
    return {"module": "keras.layers", "class_name": kind, "config": options, "registered_name": None}, declared


def _pair(value, default):
    value = default if value is None else value
    value = [value, value] if type(value) is int else list(value)
    assert len(value) == 2 and all(type(v) is int and 0 < v <= 64 for v in value), "bad size in the config"
    return value


def _output_size(shape, kernel, strides, dilation, padding):
    if padding == "same":
        return [math.ceil(shape[i] / strides[i]) for i in (0, 1)]
    return [(shape[i] - dilation[i] * (kernel[i] - 1) - 1) // strides[i] + 1 for i in (0, 1)]


def keras_sequential_layers(text, *, input_shape: list[int], max_layers: int, max_params: int, max_flops: int,
                            flops_note: str = "") -> list[dict]:
    """The layers of a keras.Sequential given as its `to_json()` text, checked from the config alone,
    before anything is built: only allowlisted layers, initializers, regularizers, constraints and
    activations with scalar parameters (never weights or arrays), every layer trainable, channels
    last, the input `input_shape`, one output per example, and at most `max_params` parameters and
    `max_flops` multiply-adds per example. Returns the cleaned layer configs for `rebuild_sequential`."""
    import json

    assert isinstance(text, str) and len(text) < 200_000, "get_net(...).to_json() must be a short JSON string"
    model = json.loads(text)
    assert isinstance(model, dict) and model.get("class_name") == "Sequential", "get_net must return a keras.Sequential"
    assert model.get("module") == "keras" and model.get("registered_name") in (None, "Sequential")
    config = model.get("config")
    assert isinstance(config, dict) and isinstance(config.get("layers"), list), "not a keras.Sequential config"
    layers = config["layers"]
    assert 0 < len(layers) <= max_layers, f"at most {max_layers} layers"
    layers, declared_inputs = zip(*[_clean_layer(layer) for layer in layers])
    for key, value in config.items():
        if key != "layers":
            _nested(value) if isinstance(value, dict) else _plain(value)
    assert config.get("trainable", True) is True, "the model must be trainable"

    # shapes, parameters and multiply-adds per example, from the config alone (channels last)
    shape, params, flops = list(input_shape), 0, 0
    for index, layer in enumerate(layers):
        kind, cfg = layer["class_name"], layer["config"]
        assert cfg.get("data_format") in (None, "channels_last"), "only channels_last data"
        assert declared_inputs[index] in (None, [None, *shape]), \
            f"{kind}: its stored input shape {declared_inputs[index]} is not the shape it receives"
        size = math.prod(shape)
        if kind == "InputLayer":
            assert index == 0, "InputLayer must come first"
            batch_shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            assert list(batch_shape or []) == [None, *input_shape], \
                f"the input must be {'x'.join(map(str, input_shape))} patches"
        elif kind in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D"):
            assert len(shape) == 3, f"{kind} needs an image input"
            k, s, d = _pair(cfg.get("kernel_size"), 1), _pair(cfg.get("strides"), 1), _pair(cfg.get("dilation_rate"), 1)
            assert cfg.get("padding", "valid") in ("valid", "same")
            out = _output_size(shape, k, s, d, cfg.get("padding", "valid"))
            assert min(out) >= 1, f"{kind}: the patch is too small for this kernel"
            c = shape[2]
            bias = bool(cfg.get("use_bias", True))
            if kind == "Conv2D":
                f, groups = cfg.get("filters"), cfg.get("groups", 1)
                assert type(f) is int and 0 < f <= 1024 and type(groups) is int and groups >= 1
                assert c % groups == 0 and f % groups == 0
                params += k[0] * k[1] * (c // groups) * f + f * bias
                flops += out[0] * out[1] * k[0] * k[1] * (c // groups) * f
            else:
                m = cfg.get("depth_multiplier", 1)
                assert type(m) is int and 0 < m <= 64
                params += k[0] * k[1] * c * m
                flops += out[0] * out[1] * k[0] * k[1] * c * m
                f = c * m
                if kind == "SeparableConv2D":
                    f = cfg.get("filters")
                    assert type(f) is int and 0 < f <= 1024
                    params += c * m * f
                    flops += out[0] * out[1] * c * m * f
                params += f * bias
            shape = [out[0], out[1], f]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            assert len(shape) == 3, f"{kind} needs an image input"
            p = _pair(cfg.get("pool_size"), 2)
            s = _pair(cfg.get("strides"), p[0]) if cfg.get("strides") is not None else p
            if cfg.get("padding", "valid") == "same":
                out = [math.ceil(shape[i] / s[i]) for i in (0, 1)]
            else:
                out = [(shape[i] - p[i]) // s[i] + 1 for i in (0, 1)]
            assert min(out) >= 1, f"{kind}: the input is too small for this pool size"
            flops += out[0] * out[1] * shape[2] * p[0] * p[1]
            shape = [out[0], out[1], shape[2]]
        elif kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
            assert len(shape) == 3, f"{kind} needs an image input"
            flops += size
            shape = [1, 1, shape[2]] if cfg.get("keepdims") else [shape[2]]
        elif kind == "Flatten":
            shape = [size]
        elif kind == "Reshape":
            target = list(cfg.get("target_shape") or [])
            assert target and all(type(v) is int and (v > 0 or v == -1) for v in target) and target.count(-1) <= 1
            known = math.prod(v for v in target if v != -1)
            assert size % known == 0, "Reshape: sizes do not match"
            shape = [size // known if v == -1 else v for v in target]
            assert math.prod(shape) == size, "Reshape: sizes do not match"
        elif kind == "Dense":
            units = cfg.get("units")
            assert type(units) is int and 0 < units <= 1024, "Dense units"
            params += shape[-1] * units + units * bool(cfg.get("use_bias", True))
            flops += (size // shape[-1]) * shape[-1] * units
            shape = shape[:-1] + [units]
        elif kind in ("ZeroPadding2D", "Cropping2D"):
            assert len(shape) == 3, f"{kind} needs an image input"
            amount = cfg.get("padding" if kind == "ZeroPadding2D" else "cropping")
            if type(amount) is int:
                amount = [[amount, amount], [amount, amount]]
            amount = [[a, a] if type(a) is int else list(a) for a in amount]
            assert len(amount) == 2 and all(len(a) == 2 and all(type(v) is int and 0 <= v <= 16 for v in a)
                                            for a in amount)
            sign = 1 if kind == "ZeroPadding2D" else -1
            shape = [shape[0] + sign * sum(amount[0]), shape[1] + sign * sum(amount[1]), shape[2]]
            assert min(shape) >= 1, f"{kind}: nothing left of the input"
        else:  # element-wise layers keep the shape
            if kind == "PReLU":
                params += size
            elif kind in ("BatchNormalization", "LayerNormalization"):
                params += 4 * shape[-1]
            flops += size
        assert params <= max_params, f"{params:,} parameters (at most {max_params:,})"
        assert flops <= max_flops, (f"{flops:,} multiply-adds per patch: at most {max_flops:,} "
                                    f"{flops_note}so that grading stays affordable")
    assert shape == [1], f"the network's output must be one value per patch (it is {shape})"
    return list(layers)


def rebuild_sequential(layers: list[dict], *, input_shape: list[int], max_params: int, seed: int = 0):
    """A fresh keras.Sequential from layers checked by `keras_sequential_layers`, its weights drawn
    after seeding with `seed` (the same network every time), with its size and output checked again
    on the built model."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.saving.deserialize_keras_object(
        {"module": "keras", "class_name": "Sequential", "registered_name": None,
         "config": {"name": "submitted", "trainable": True, "layers": list(layers)}}, safe_mode=True)
    assert isinstance(model, keras.Sequential)
    if not model.built:
        model.build((None, *input_shape))
    assert model.count_params() <= max_params, f"{model.count_params()} parameters (at most {max_params:,})"
    assert tuple(model.output_shape) == (None, 1), f"output shape is {model.output_shape}"
    assert all(layer.trainable for layer in model.layers)
    return model
