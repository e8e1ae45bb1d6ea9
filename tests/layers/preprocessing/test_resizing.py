"""Resizing: Keras's goldens for every interpolation and aspect option, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.resizing import Resizing

IMG = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
IMG46 = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)


@pytest.mark.parametrize("options, expected", [
    ({}, [[2.1666667, 3.5, 4.8333335], [10.166666, 11.5, 12.833333]]),
    ({"interpolation": "nearest"}, [[4.0, 6.0, 7.0], [12.0, 14.0, 15.0]]),
    ({"interpolation": "bicubic"}, [[1.7511579, 3.125, 4.4988437], [10.50116, 11.875, 13.248845]]),
    ({"antialias": True}, [[3.1571431, 4.3571429, 5.5571432], [9.4428577, 10.642858, 11.842857]]),
])
def test_goldens_2x3(options, expected):
    np.testing.assert_allclose(Resizing(2, 3, **options)(IMG)[0, :, :, 0], expected, rtol=1e-5)


def test_upsampling_and_aspect_options():
    np.testing.assert_allclose(Resizing(8, 8)(IMG)[0, 0, :, 0],
                               [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0])
    np.testing.assert_allclose(Resizing(2, 2, crop_to_aspect_ratio=True)(IMG46)[0, :, :, 0],
                               [[4.5, 6.5], [16.5, 18.5]])
    padded = Resizing(6, 6, pad_to_aspect_ratio=True, fill_value=-1)(IMG46)[0, :, :, 0]
    np.testing.assert_allclose(padded[0], -1)
    np.testing.assert_allclose(padded[1:5], IMG46[0, :, :, 0])
    np.testing.assert_allclose(Resizing(4, 4, pad_to_aspect_ratio=True)(IMG46)[0, 0, :, 0],
                               [0.0625, 0.4375, 0.8125, 1.1875])


def test_integer_images_stay_integer():
    y = Resizing(3, 3)(np.array([[0, 255], [255, 0]], "uint8")[None, :, :, None])
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y[0, :, :, 0], [[0, 128, 255], [128, 128, 128],
                                                  [255, 128, 0]])


def test_single_image_and_channels_first():
    single = Resizing(2, 3)(IMG[0])
    assert single.shape == (2, 3, 1)
    first = Resizing(2, 3, data_format="channels_first")(np.moveaxis(IMG, -1, 1))
    np.testing.assert_allclose(first[0, 0], single[:, :, 0])
    assert Resizing(2, 3, data_format="channels_first").compute_output_shape(
        (None, 3, 8, 8)) == (None, 3, 2, 3)


def test_errors_at_call_time():
    for options, match in [({"interpolation": "area"}, "interpolation"),
                           ({"interpolation": "lanczos3"}, "Lanczos"),
                           ({"fill_mode": "reflect"}, "constant"),
                           ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
                            "Only one|only one")]:
        layer = Resizing(2, 2, **options)           # the constructor accepts it, as Keras
        with pytest.raises(ValueError, match=match):
            layer(IMG)
    with pytest.raises(ValueError, match="rank 3"):
        Resizing(2, 2)(np.zeros((3, 3)))


def test_config_round_trip():
    layer = Resizing(5, 7, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=2.0)
    config = layer.get_config()
    assert {k: config[k] for k in ("height", "width", "interpolation", "antialias")} == \
        {"height": 5, "width": 7, "interpolation": "bicubic", "antialias": False}
    assert Resizing.from_config(config).get_config() == config


@settings(max_examples=10)
@given(interpolation=st.sampled_from(["bilinear", "nearest", "bicubic"]),
       antialias=st.booleans(), aspect=st.sampled_from([None, "crop", "pad"]),
       size=st.tuples(st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 99))
def test_gradients(interpolation, antialias, aspect, size, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = Resizing(*size, interpolation=interpolation, antialias=antialias,
                     crop_to_aspect_ratio=aspect == "crop",
                     pad_to_aspect_ratio=aspect == "pad", fill_value=0.5)
    gradcheck.assert_gradients_ok(layer, x)
    gradcheck.assert_backward_repeatable(layer, x)
