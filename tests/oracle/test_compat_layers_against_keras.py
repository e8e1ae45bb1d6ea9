"""Identity, RMSNormalization and the adaptive pooling layers against Keras 3.15.1.

Forward values, dL/dx and dL/dW from torch autograd through Keras's layer must match
ours (``compare`` of test_layers_against_keras.py); configs and argument errors too.
Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402
from test_layers_against_keras import compare  # noqa: E402

CASES = [
    ("Identity", {}, (2, 5)),
    ("Identity", {}, (2, 3, 4)),
    ("RMSNormalization", {}, (3, 6)),
    ("RMSNormalization", dict(epsilon=1e-3), (2, 4, 5)),
    ("RMSNormalization", dict(axis=[-2, -1]), (2, 4, 5)),
    ("RMSNormalization", dict(axis=[1, 2, 3]), (2, 3, 4, 5)),
]
for _mode in ("Average", "Max"):
    CASES += [
        (f"Adaptive{_mode}Pooling1D", dict(output_size=3), (2, 10, 3)),
        (f"Adaptive{_mode}Pooling1D", dict(output_size=4), (2, 7, 3)),
        (f"Adaptive{_mode}Pooling1D", dict(output_size=5, data_format="channels_first"),
         (2, 3, 3)),
        (f"Adaptive{_mode}Pooling2D", dict(output_size=(3, 2)), (2, 7, 5, 3)),
        (f"Adaptive{_mode}Pooling2D", dict(output_size=4), (2, 8, 8, 2)),
        (f"Adaptive{_mode}Pooling2D", dict(output_size=(5, 3),
                                           data_format="channels_first"), (2, 2, 4, 6)),
        (f"Adaptive{_mode}Pooling3D", dict(output_size=(2, 3, 2)), (1, 5, 4, 3, 2)),
        (f"Adaptive{_mode}Pooling3D", dict(output_size=2, data_format="channels_first"),
         (1, 2, 3, 5, 4)),
    ]

# EinsumDense: output sizes given in full (where output_shape says None, Keras's symbolic
# shape stays None and ours takes the input's size; the values are the same).
for _equation, _output, _bias, _shape in [
        ("ab,bc->ac", 4, "c", (3, 5)), ("abc,cd->abd", (3, 4), "d", (2, 3, 5)),
        ("...x,xy->...y", 4, "y", (2, 3, 5)), ("...x,xy->...y", 4, None, (2, 5)),
        ("abc,cde->abde", (3, 2, 3), "de", (2, 3, 5)), ("abc,cde->abde", (3, 2, 3), "e", (2, 3, 5)),
        ("abcd,cde->abe", (3, 4), "e", (2, 3, 4, 2)), ("ab...,bc->ac...", 4, "c", (2, 5, 3)),
        ("ab...,bc->ac...", 4, "c", (2, 5, 3, 2)), ("abc,cd->ad", 4, "d", (2, 3, 5)),
        ("abc,bcd->abd", (3, 4), "bd", (2, 3, 5)), ("...ab,bc->...ac", (3, 4), "ac", (2, 6, 3, 5))]:
    CASES.append(("EinsumDense", dict(equation=_equation, output_shape=_output, bias_axes=_bias,
                                      activation="tanh"), _shape))


@pytest.mark.parametrize("cls, kwargs, shape", CASES)
def test_layer_matches_keras(cls, kwargs, shape):
    theirs, ours = compare(cls, kwargs, [shape])
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    for key in set(theirs_config) - {"name", "dtype", "trainable"}:
        assert ours_config[key] == theirs_config[key], f"{cls}: config {key}"


@pytest.mark.parametrize("cls", ["AdaptiveAveragePooling1D", "AdaptiveMaxPooling2D",
                                 "AdaptiveAveragePooling3D"])
@pytest.mark.parametrize("output_size", [2, (2,), (2, 3), [1, 2, 3], "2", 2.5])
def test_output_size_rules_match_keras(cls, output_size):
    def outcome(library):
        try:
            return getattr(library.layers, cls)(output_size).output_size
        except (TypeError, ValueError) as error:
            return type(error).__name__
    assert outcome(kerastutor) == outcome(keras)


def test_unbuilt_configs_and_data_format_default_match_keras():
    for cls, kwargs in [("RMSNormalization", {}), ("Identity", {}),
                        ("AdaptiveMaxPooling1D", dict(output_size=3)),
                        ("EinsumDense", dict(equation="ab,bc->ac", output_shape=3,
                                             bias_axes="c", activation="relu"))]:
        theirs = getattr(keras.layers, cls)(**kwargs).get_config()
        ours = getattr(kerastutor.layers, cls)(**kwargs).get_config()
        assert {k: v for k, v in ours.items() if k != "name"} == \
            {k: v for k, v in theirs.items() if k != "name"}


def test_ties_in_max_windows_route_like_keras():
    x = np.array([[[1.0], [7.0], [7.0], [2.0], [7.0]]], dtype="float32")
    theirs, ours = compare("AdaptiveMaxPooling1D", dict(output_size=3), [x.shape])
    import torch
    tx = torch.tensor(x, requires_grad=True)
    theirs(tx).sum().backward()
    y, cache = ours.forward(x)
    np.testing.assert_array_equal(ours.backward(cache, np.ones_like(y)), tx.grad.numpy())


@pytest.mark.parametrize("equation, output_shape, bias_axes", [
    ("ab->b", 3, None), ("ab,bz->ab", 4, None), ("ab,bc->ac", 3, "q"), ("abc,cd->abd", (5, 2), None),
    ("ab,bc->acd", (3, 2), None)])
def test_einsum_dense_errors_match_keras(equation, output_shape, bias_axes):
    def outcome(library):
        try:
            layer = library.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
            layer.build((None, 3, 4) if equation.startswith("abc") else (None, 4))
            return [tuple(w.shape) for w in layer.weights]
        except ValueError as error:
            return type(error).__name__
    assert outcome(kerastutor) == outcome(keras)


def test_einsum_dense_kernel_fans_match_keras():
    keras.utils.set_random_seed(0)
    theirs = keras.layers.EinsumDense("abc,cde->abde", (7, 4, 8))
    theirs.build((None, 7, 16))
    ours = kerastutor.layers.EinsumDense("abc,cde->abde", (7, 4, 8))
    ours.build((None, 7, 16))
    config = keras.saving.serialize_keras_object(theirs.kernel_initializer)["config"]
    assert config == ours.kernel_initializer.get_config()    # the config keeps it axis-free
    spread = np.std(keras.ops.convert_to_numpy(theirs.kernel.value))
    np.testing.assert_allclose(np.std(ours.kernel.value), spread, rtol=0.1)
