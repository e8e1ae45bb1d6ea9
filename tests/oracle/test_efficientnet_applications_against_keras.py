"""EfficientNet and EfficientNetV2 against Keras 3: the same layers, and Keras's weights give
the same predictions.

Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 pytest tests/oracle/<this file>``.
Keras's models are built with ``weights=None`` at 32x32 (the smallest size allowed),
given random weights, saved by Keras in the legacy ``.h5`` layout its ImageNet files use,
and loaded here with ``weights=<path>``.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kerastutor import backend  # noqa: E402
from kerastutor.applications import efficientnet, efficientnet_v2  # noqa: E402

PIXELS = np.random.default_rng(1).uniform(0, 255, (3, 32, 32, 3)).astype("float32")

CHEAP = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
         "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3"]


def ours(name):
    return getattr(efficientnet_v2 if "V2" in name else efficientnet, name)


def theirs(name):
    return getattr(keras.applications, name)


def randomise_keras(model, seed=0):
    """Random vectors (BN statistics and scales, biases, the Normalization mean and
    variance) in [0.5, 1.5]; the kernels keep Keras's seeded variance-preserving draw,
    so activations stay of order 1-100 and float32 rounding stays small."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape, dtype = tuple(variable.shape), keras.backend.standardize_dtype(variable.dtype)
        if dtype.startswith("float") and len(shape) <= 1:
            variable.assign(rng.uniform(0.5, 1.5, shape).astype(dtype))


def names_and_types(model):
    return ([layer.name for layer in model.layers],
            [type(layer).__name__ for layer in model.layers])


@pytest.mark.parametrize("name", CHEAP)
def test_layers_and_parameter_counts_match_keras(name):
    keras.utils.clear_session()
    reference = theirs(name)(weights=None, input_shape=(32, 32, 3))
    backend.clear_session()
    with backend.shapes_only():
        model = ours(name)(weights=None, input_shape=(32, 32, 3))
    assert model.count_params() == reference.count_params()
    assert names_and_types(model) == names_and_types(reference)
    assert model.name == reference.name
    assert [[tuple(w.shape) for w in layer.weights] for layer in model.layers] == \
        [[tuple(w.shape) for w in layer.weights] for layer in reference.layers]


@pytest.mark.parametrize("name, kwargs", [
    ("EfficientNetB0", {"include_top": False, "input_shape": (33, 45, 3), "pooling": "avg"}),
    ("EfficientNetB0", {"include_top": False, "input_shape": (32, 32, 1)}),
    ("EfficientNetV2B0", {"include_top": False, "input_shape": (33, 45, 3), "pooling": "max"}),
    ("EfficientNetV2B0", {"include_top": False, "input_shape": (32, 32, 1)}),
    ("EfficientNetV2B0", {"include_preprocessing": False, "input_shape": (32, 32, 3)}),
    ("EfficientNetV2S", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "x"}),
])
def test_variants_match_keras(name, kwargs):
    keras.utils.clear_session()
    reference = theirs(name)(weights=None, **kwargs)
    backend.clear_session()
    with backend.shapes_only():
        model = ours(name)(weights=None, **kwargs)
    assert names_and_types(model) == names_and_types(reference)
    assert model.count_params() == reference.count_params()
    assert tuple(model.output.shape) == tuple(reference.output.shape)


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
@pytest.mark.parametrize("include_top", [True, False])
def test_keras_weights_give_keras_predictions(name, include_top, tmp_path):
    keras.utils.set_random_seed(0)
    keras.utils.clear_session()
    kwargs = {"input_shape": (32, 32, 3), "include_top": include_top}
    if include_top:
        kwargs["classifier_activation"] = None       # compare logits, not saturated softmax
    else:
        kwargs["pooling"] = "avg"
    reference = theirs(name)(weights=None, **kwargs)
    randomise_keras(reference)
    path = str(tmp_path / "keras_model.h5")
    reference.save(path)                                 # Keras's legacy HDF5 layout
    expected = np.asarray(reference.predict(PIXELS, verbose=0))

    backend.clear_session()
    model = ours(name)(weights=path, **kwargs)
    got = model.predict(PIXELS, verbose=0)
    assert got.shape == expected.shape
    # float32 through ~80 layers: absolute error relative to the output's range
    np.testing.assert_allclose(got, expected, rtol=1e-4,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))


def test_error_messages_match_keras():
    for name in ("EfficientNetB0", "EfficientNetV2B0"):
        for kwargs in ({"weights": "foo"}, {"classes": 10},
                       {"input_shape": (200, 200, 3)},
                       {"weights": None, "include_top": False, "input_shape": (31, 31, 3)}):
            with pytest.raises(ValueError) as keras_error:
                theirs(name)(**kwargs)
            with pytest.raises(ValueError) as our_error:
                ours(name)(**kwargs)
            assert str(our_error.value) == str(keras_error.value), (name, kwargs)
    # a custom name has no stage table in Keras's EfficientNetV2 (looked up by name)
    with pytest.raises(KeyError):
        keras.applications.EfficientNetV2B0(weights=None, name="mine")
    with pytest.raises(KeyError):
        efficientnet_v2.EfficientNetV2B0(weights=None, name="mine")


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
def test_the_imagenet_path_matches_keras(name, tmp_path, monkeypatch):
    """``weights="imagenet"`` with the download replaced by a file Keras saved: the same file
    name, origin and md5 are asked for, and the imagenet-only layers (EfficientNet's extra
    ``Rescaling(1/sqrt(std))``) compute the same numbers."""
    import keras.src.applications.efficientnet as keras_v1
    import keras.src.applications.efficientnet_v2 as keras_v2
    from kerastutor.utils import file_utils
    keras.utils.set_random_seed(0)
    keras.utils.clear_session()
    source = theirs(name)(weights=None, include_top=False, pooling="avg")
    randomise_keras(source)
    path = str(tmp_path / "weights.h5")
    source.save(path)
    asked = {"keras": [], "ours": []}

    def fake_get_file(who):
        def get_file(fname=None, origin=None, cache_subdir=None, file_hash=None, **kwargs):
            asked[who].append((fname, origin, cache_subdir, file_hash))
            return path
        return get_file

    keras_module = keras_v2 if "V2" in name else keras_v1
    monkeypatch.setattr(keras_module.file_utils, "get_file", fake_get_file("keras"))
    monkeypatch.setattr(file_utils, "get_file", fake_get_file("ours"))
    keras.utils.clear_session()
    reference = theirs(name)(weights="imagenet", include_top=False, pooling="avg")
    backend.clear_session()
    model = ours(name)(weights="imagenet", include_top=False, pooling="avg")

    assert asked["ours"] == asked["keras"] and len(asked["ours"]) == 1
    assert names_and_types(model) == names_and_types(reference)
    expected = np.asarray(reference.predict(PIXELS, verbose=0))
    got = model.predict(PIXELS, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))
