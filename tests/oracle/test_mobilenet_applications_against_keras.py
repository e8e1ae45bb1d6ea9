"""Keras 3 (torch backend) as the oracle for MobileNet, MobileNetV2, MobileNetV3Small/Large.

For the smallest member of each family, at the smallest input Keras allows:
Keras builds the model (``weights=None``), its weights are set to random values
(batch-norm moving statistics included, so that an identity normalisation cannot
hide a mistake), Keras writes the whole model as a legacy ``.h5``
(``model.save("m.h5")``, the layout of Keras's ImageNet files: weights by layer
order under ``model_weights``), and ours is built with ``weights=<that file>``.
Both predict the same random images.

Every member that is cheap to build is compared too: layer names and order, the
model name, parameter counts and weight shapes.

Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1``.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from kerastutor import backend  # noqa: E402
from kerastutor.applications import mobilenet, mobilenet_v2, mobilenet_v3  # noqa: E402

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False

KA = keras.applications
OURS = {"MobileNet": mobilenet.MobileNet, "MobileNetV2": mobilenet_v2.MobileNetV2,
        "MobileNetV3Small": mobilenet_v3.MobileNetV3Small,
        "MobileNetV3Large": mobilenet_v3.MobileNetV3Large}


def _fresh():
    keras.backend.clear_session()      # both start their automatic names from zero
    backend.clear_session()


def _randomise(model, seed=0):
    """Random weights in Keras's model; positive moving variances."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if w.path.endswith("moving_variance"):
                values.append(rng.uniform(0.5, 1.5, shape))
            elif w.path.endswith(("gamma",)):
                values.append(rng.uniform(0.5, 1.5, shape))
            else:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
                values.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in) if len(shape) > 1
                                         else 0.1, shape))
        if values:
            layer.set_weights([v.astype("float32") for v in values])


# ------------------------------------------------------- predictions with Keras's weights
PREDICTION_CASES = [
    ("MobileNet", dict(alpha=0.25, input_shape=(32, 32, 3)), 1.0),
    ("MobileNet", dict(alpha=0.25, depth_multiplier=2, include_top=False,
                       input_shape=(33, 35, 3)), 1.0),
    ("MobileNetV2", dict(alpha=0.35, input_shape=(32, 32, 3)), 1.0),
    ("MobileNetV2", dict(alpha=0.35, include_top=False, pooling="avg",
                         input_shape=(35, 33, 3)), 1.0),
    ("MobileNetV3Small", dict(alpha=0.75, input_shape=(32, 32, 3)), 255.0),
    ("MobileNetV3Small", dict(minimalistic=True, include_top=False, pooling="max",
                              input_shape=(35, 33, 3)), 255.0),
    ("MobileNetV3Large", dict(alpha=0.75, input_shape=(32, 32, 3)), 255.0),
    ("MobileNetV3Large", dict(include_preprocessing=False, classifier_activation=None,
                              input_shape=(33, 33, 3)), 1.0),
]


@pytest.mark.parametrize("family, kwargs, scale", PREDICTION_CASES,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(PREDICTION_CASES)])
def test_predictions_with_keras_weights_from_a_legacy_h5(tmp_path, family, kwargs, scale):
    _fresh()
    theirs = getattr(KA, family)(weights=None, **kwargs)
    _randomise(theirs)
    path = str(tmp_path / "model.h5")
    theirs.save(path)
    _fresh()
    ours = OURS[family](weights=path, **kwargs)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    images = np.random.default_rng(1).uniform(
        0.0, scale, (2,) + tuple(kwargs["input_shape"])).astype("float32")
    if scale == 1.0 and not family.startswith("MobileNetV3"):
        images = images * 2 - 1                        # what preprocess_input gives
    expected = keras.ops.convert_to_numpy(theirs(images, training=False))
    got = ours.predict(images, verbose=0)
    assert got.shape == expected.shape
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-4,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))


# ------------------------------------------------ names, counts and shapes of every member
STRUCTURE_CASES = (
    [("MobileNet", dict(alpha=a, input_shape=(32, 32, 3))) for a in (0.25, 0.5, 0.75, 1.0)]
    + [("MobileNet", dict(depth_multiplier=2, input_shape=(32, 32, 3))),
       ("MobileNet", dict(alpha=0.5, include_top=False)),
       ("MobileNet", dict(input_shape=(128, 128, 3), include_top=False, pooling="avg"))]
    + [("MobileNetV2", dict(alpha=a, input_shape=(32, 32, 3)))
       for a in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)]
    + [("MobileNetV2", dict()), ("MobileNetV2", dict(include_top=False, pooling="max")),
       ("MobileNetV2", dict(alpha=0.5, input_shape=(96, 96, 3), classes=7))]
    + [(family, dict(alpha=a, minimalistic=m, input_shape=(32, 32, 3)))
       for family in ("MobileNetV3Small", "MobileNetV3Large")
       for a in (0.75, 1.0, 1.25) for m in (False, True)]
    + [(family, dict(include_top=False, pooling=p))
       for family in ("MobileNetV3Small", "MobileNetV3Large") for p in (None, "avg")]
    + [("MobileNetV3Small", dict(dropout_rate=0.0, include_preprocessing=False))]
)


@pytest.mark.parametrize("family, kwargs", STRUCTURE_CASES,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(STRUCTURE_CASES)])
def test_structure_equals_keras(family, kwargs):
    _fresh()
    theirs = getattr(KA, family)(weights=None, **kwargs)
    _fresh()
    ours = OURS[family](weights=None, **kwargs)
    assert ours.name == theirs.name
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    assert [[tuple(w.shape) for w in layer.weights] for layer in ours.layers] == \
        [[tuple(w.shape) for w in layer.weights] for layer in theirs.layers]
    assert [type(layer).__name__ for layer in ours.layers] == \
        [type(layer).__name__ for layer in theirs.layers]
    # The whole graph, Keras's operations (hsigmoid's x + 3 and * 1/6) included.
    listing = getattr(ours, "_listing_operations", None)
    if listing is not None:
        ours._listing_operations = True
    try:
        graph = [layer.name for layer in ours.layers]
    finally:
        if listing is not None:
            ours._listing_operations = False
    assert sorted(graph) == sorted(entry["name"] for entry in theirs.get_config()["layers"])
    assert tuple(ours.outputs[0].shape) == tuple(theirs.output.shape)


def test_automatic_names_continue_as_in_keras():
    """Keras's operations take names from the counters of layers (``add``, ``multiply``)."""
    _fresh()
    KA.MobileNetV3Small(weights=None, input_shape=(32, 32, 3))
    theirs = [keras.layers.Add().name, keras.layers.Multiply().name,
              keras.layers.ReLU().name, keras.layers.Activation("relu").name]
    _fresh()
    OURS["MobileNetV3Small"](weights=None, input_shape=(32, 32, 3))
    from kerastutor import layers
    assert [layers.Add().name, layers.Multiply().name, layers.ReLU().name,
            layers.Activation("relu").name] == theirs


@pytest.mark.parametrize("family", ["MobileNet", "MobileNetV2", "MobileNetV3Small"])
def test_input_tensor_names_and_shapes_as_keras(family):
    shape = (96, 96, 3)
    _fresh()
    theirs = getattr(KA, family)(weights=None, input_tensor=keras.Input(shape))
    _fresh()
    from kerastutor import layers
    ours = OURS[family](weights=None, input_tensor=layers.Input(shape))
    assert ours.name == theirs.name
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert tuple(ours.outputs[0].shape) == tuple(theirs.output.shape)


@pytest.mark.parametrize("family, kwargs", [
    ("MobileNet", dict(weights="nope.h5")),
    ("MobileNet", dict(classes=10)),
    ("MobileNet", dict(alpha=0.3)),
    ("MobileNet", dict(depth_multiplier=2)),
    ("MobileNetV2", dict(weights="nope.h5")),
    ("MobileNetV2", dict(classes=10)),
    ("MobileNetV2", dict(alpha=0.6)),
    ("MobileNetV3Small", dict(weights="nope.h5")),
    ("MobileNetV3Small", dict(classes=10)),
    ("MobileNetV3Small", dict(alpha=0.5)),
    ("MobileNetV3Large", dict(minimalistic=True, alpha=0.75)),
    ("MobileNetV3Small", dict(weights=None, input_shape=(31, 64, 3))),
])
def test_argument_errors_read_as_kerass(family, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(KA, family)(**kwargs)
    with pytest.raises(ValueError) as ours:
        OURS[family](**kwargs)
    assert str(ours.value) == str(theirs.value)
