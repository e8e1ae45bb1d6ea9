"""Keras 3 (torch backend) as the oracle for ConvNeXt.

ConvNeXtTiny (the smallest member) at small inputs: Keras builds it
(``weights=None``), its weights are set to random values -- LayerScale's
:math:`\\gamma` included, which starts at 1e-6 and would otherwise let every
residual branch vanish -- Keras writes the whole model as a legacy ``.h5``
(``model.save("m.h5")``: weights by layer order under ``model_weights``, the
layout of Keras's ImageNet files, nested ``Sequential`` stems included), and
ours is built with ``weights=<that file>``. Both predict the same random images.
A miniature ConvNeXt (Keras's ``ConvNeXt`` function, one block per stage, with
stochastic depth) is compared the same way.

Tiny and Small are compared for layer names, types, weight shapes and parameter
counts (ours built with ``backend.shapes_only()``); the larger members' numbers
are stored in tests/applications/test_convnext.py.

Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1``.
"""
import gc
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from keras.src.applications import convnext as keras_convnext  # noqa: E402

from kerastutor import backend  # noqa: E402
from kerastutor.applications import convnext  # noqa: E402
from kerastutor.applications.convnext_layers import LayerScale, StochasticDepth  # noqa: E402
from kerastutor.registry import serialize_keras_object  # noqa: E402

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False


def _fresh():
    keras.backend.clear_session()      # both start their automatic names from zero
    backend.clear_session()
    gc.collect()


def _randomise(model, seed=0):
    """Random weights in Keras's model, at scales that keep a deep net's signal alive."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "layer_scale" in w.path:
                values.append(rng.uniform(0.2, 0.6, shape))
            elif w.path.endswith("gamma"):
                values.append(rng.uniform(0.5, 1.5, shape))
            elif len(shape) > 1:
                fan_in = int(np.prod(shape[:-1]))
                values.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape))
            else:
                values.append(rng.normal(0.0, 0.1, shape))
        if values:
            layer.set_weights([v.astype("float32") for v in values])


def _images(shape, seed=1):
    return np.random.default_rng(seed).uniform(0, 255, (2,) + shape).astype("float32")


def _compare(tmp_path, keras_model, ours_from_file, shape):
    _randomise(keras_model)
    x = _images(shape)
    expected = keras.ops.convert_to_numpy(keras_model.predict(x, verbose=0))
    names = [layer.name for layer in keras_model.layers]
    path = str(tmp_path / "m.h5")
    keras_model.save(path)
    del keras_model
    gc.collect()
    ours = ours_from_file(path)
    assert [layer.name for layer in ours.layers] == names
    got = ours.predict(x, verbose=0)
    assert got.shape == expected.shape
    scale = float(np.abs(expected).max())
    assert scale > 1e-3                                  # a signal, not a vanished one
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * max(scale, 1.0))


# ------------------------------------------------------- predictions with Keras's weights
TINY_CASES = [
    dict(input_shape=(32, 32, 3), classifier_activation=None),
    dict(include_top=False, pooling="avg", input_shape=(35, 33, 3)),
    dict(include_top=False, include_preprocessing=False, input_shape=(40, 36, 3)),
]


@pytest.mark.parametrize("kwargs", TINY_CASES, ids=[str(i) for i in range(len(TINY_CASES))])
def test_tiny_predictions_with_keras_weights_from_a_legacy_h5(tmp_path, kwargs):
    _fresh()
    keras_model = keras.applications.ConvNeXtTiny(weights=None, **kwargs)
    shape = kwargs["input_shape"]
    _compare(tmp_path, keras_model,
             lambda path: convnext.ConvNeXtTiny(weights=path, **kwargs), shape)


def test_miniature_with_stochastic_depth_against_keras(tmp_path):
    _fresh()
    options = dict(depths=[1, 2, 1, 1], projection_dims=[8, 16, 16, 24], drop_path_rate=0.3,
                   name="mini", input_shape=(32, 32, 3), classes=7)
    keras_model = keras_convnext.ConvNeXt(**options)
    assert any(type(layer).__name__ == "StochasticDepth" for layer in keras_model.layers)
    _compare(tmp_path, keras_model,
             lambda path: convnext.ConvNeXt(weights=path, **options), (32, 32, 3))


# ------------------------------------------------------- names, shapes and counts
@pytest.mark.parametrize("member", ["Tiny", "Small"])
@pytest.mark.parametrize("kwargs", [dict(input_shape=(32, 32, 3)),
                                    dict(include_top=False, pooling="max",
                                         input_shape=(32, 32, 3))])
def test_layers_and_parameter_counts_equal_keras(member, kwargs):
    _fresh()
    keras_model = getattr(keras.applications, "ConvNeXt" + member)(weights=None, **kwargs)
    expected = ([layer.name for layer in keras_model.layers],
                [type(layer).__name__ for layer in keras_model.layers],
                [[tuple(w.shape) for w in layer.weights] for layer in keras_model.layers],
                keras_model.count_params(), keras_model.name,
                tuple(keras_model.output.shape))
    del keras_model
    gc.collect()
    with backend.shapes_only():
        ours = getattr(convnext, "ConvNeXt" + member)(weights=None, **kwargs)
    got = ([layer.name for layer in ours.layers],
           [type(layer).__name__ for layer in ours.layers],
           [[tuple(w.shape) for w in layer.weights] for layer in ours.layers],
           ours.count_params(), ours.name, tuple(ours.output.shape))
    assert got == expected


def test_layer_records_equal_keras():
    for ours, theirs in [
            (LayerScale(1e-6, 4, name="scale"), keras_convnext.LayerScale(1e-6, 4, name="scale")),
            (StochasticDepth(0.25, name="drop"),
             keras_convnext.StochasticDepth(0.25, name="drop"))]:
        assert serialize_keras_object(ours) == keras.saving.serialize_keras_object(theirs)


def test_layer_scale_forward_equals_keras():
    x = np.random.default_rng(3).normal(size=(2, 5, 4)).astype("float32")
    theirs = keras_convnext.LayerScale(0.5, 4)
    ours = LayerScale(0.5, 4)
    np.testing.assert_allclose(ours(x), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    for training in (False, True):                       # rate 0: the identity either way
        y = keras_convnext.StochasticDepth(0.0)(x, training=training)
        np.testing.assert_array_equal(StochasticDepth(0.0).forward(x, training)[0],
                                      keras.ops.convert_to_numpy(y))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_convnext_keras_saved_loads_with_load_model(tmp_path, suffix):
    """Keras's file names LayerScale under keras.src.applications.convnext and writes the
    residual sums as ``Add`` operations; ours reads both (the sums become Add layers)."""
    import kerastutor
    _fresh()
    keras_model = keras_convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 8, 8, 8],
                                          name="mini", input_shape=(32, 32, 3), classes=5)
    _randomise(keras_model)
    x = _images((32, 32, 3))
    expected = keras.ops.convert_to_numpy(keras_model.predict(x, verbose=0))
    path = str(tmp_path / f"mini{suffix}")
    keras_model.save(path)
    loaded = kerastutor.models.load_model(path)
    assert type(loaded.get_layer("mini_stage_0_block_0_layer_scale")) is LayerScale
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
