"""keras.applications.imagenet_utils: preprocessing goldens, class names, constructor rules."""
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.applications import imagenet_utils

PIXELS = np.array([[[[0, 127.5, 255], [10, 20, 30]]]], dtype="float32")


@pytest.mark.parametrize("mode, expected", [
    ("caffe", [[151.06100463867188, 10.721000671386719, -123.68000030517578],
               [-73.93900299072266, -96.77899932861328, -113.68000030517578]]),
    ("tf", [[-1.0, 0.0, 1.0], [-0.9215686321258545, -0.843137264251709, -0.7647058963775635]]),
    ("torch", [[-2.1179039478302, 0.1964285671710968, 2.640000104904175],
               [-1.9466564655303955, -1.6855741739273071, -1.2815686464309692]]),
])
def test_preprocess_input_goldens_and_the_callers_array_untouched(mode, expected):
    before = PIXELS.copy()
    out = imagenet_utils.preprocess_input(PIXELS, mode=mode)
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(PIXELS, before)          # Keras would have changed it


def test_caffe_channels_first_and_integer_input():
    image = np.array([0, 127.5, 255], dtype="float32").reshape(3, 1, 1)
    out = imagenet_utils.preprocess_input(image, data_format="channels_first")
    np.testing.assert_allclose(out.ravel(), [151.061, 10.721, -123.68], rtol=1e-5)
    out = imagenet_utils.preprocess_input(np.array([[[0, 127, 255]]], dtype="uint8"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.ravel(), [151.06100463867188, 10.221000671386719,
                                             -123.68000030517578], rtol=1e-6)
    with pytest.raises(ValueError, match="Expected mode to be one of `caffe`, `tf` or `torch`"):
        imagenet_utils.preprocess_input(PIXELS, mode="xyz")


@pytest.fixture
def fake_class_index(tmp_path, monkeypatch):
    """A class-index file in Keras's format, in a cache of our own (no network)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    index = {str(i): [f"n{i:08d}", f"class{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_MD5", None)   # our file, not Keras's


def test_decode_predictions_golden(fake_class_index):
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [5, 9, 7]] = [0.5, 0.5, 0.3]
    preds[1, 999] = 1.0
    first, second = imagenet_utils.decode_predictions(preds, top=3)
    assert [(w, n, s) for w, n, s in first] == [
        ("n00000005", "class5", np.float32(0.5)), ("n00000009", "class9", np.float32(0.5)),
        ("n00000007", "class7", np.float32(0.3))]                  # NumPy scalars, as Keras
    assert [n for _, n, _ in second] == ["class999", "class998", "class997"]
    with pytest.raises(ValueError, match=r"\(samples, 1000\)\). Received array with shape: "
                                         r"\(1, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((1, 10)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(input_shape=(200, 200, 3), require_flatten=True, weights="imagenet"),
     r"`input_shape` should be \(224, 224, 3\).  Received: input_shape=\(200, 200, 3\)"),
    (dict(input_shape=(64, 64), require_flatten=False), "must be a tuple of three integers"),
    (dict(input_shape=(64, 64, 4), require_flatten=False, weights="imagenet"),
     "The input must have 3 channels"),
    (dict(input_shape=(31, 31, 3), require_flatten=False),
     r"at least 32x32; Received: input_shape=\(31, 31, 3\)"),
    (dict(input_shape=(None, None, 3), require_flatten=True),
     "you should specify a static `input_shape`"),
])
def test_obtain_input_shape_refuses_as_keras(kwargs, message):
    with pytest.raises(ValueError, match=message):
        imagenet_utils.obtain_input_shape(default_size=224, min_size=32,
                                          data_format="channels_last", **kwargs)


def test_obtain_input_shape_defaults():
    shape = imagenet_utils.obtain_input_shape
    assert shape(None, 224, 32, "channels_last", True) == (224, 224, 3)
    assert shape(None, 224, 32, "channels_last", False) == (None, None, 3)
    assert shape(None, 299, 75, "channels_first", False) == (3, None, None)
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        assert shape((64, 64, 4), 224, 32, "channels_last", False) == (64, 64, 4)


def test_weights_and_classes_arguments():
    with pytest.raises(ValueError, match=r"The `weights` argument should be either `None`"):
        imagenet_utils.check_arguments("foo", True, 1000)
    with pytest.raises(ValueError, match="`classes` should be 1000.  Received classes=10"):
        imagenet_utils.check_arguments("imagenet", True, 10)
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations"):
        imagenet_utils.validate_activation("relu", "imagenet")
    imagenet_utils.validate_activation("relu", None)            # random weights: anything


def test_imagenet_weights_offline_name_the_file_and_where_it_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="tiny")
    origin = "http://127.0.0.1:9/nowhere/tiny_weights.h5"        # nothing listens there
    with pytest.raises(OSError, match=r"tiny: weights='imagenet' needs Keras's file "
                                      r"'tiny_weights.h5'.*models"):
        imagenet_utils.load_weights(model, "imagenet", "tiny_weights.h5", origin)
