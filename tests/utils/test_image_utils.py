"""load_img, img_to_array, array_to_img, save_img, smart_resize and the NumPy resampler (§1.9, §2.3)."""
import io
import pathlib

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.utils import image_utils

Image = pytest.importorskip("PIL.Image")

# The reference sheet's fixed 4x6 RGB image (channel 0 is checked below).
IMG = np.random.RandomState(0).randint(0, 256, (4, 6, 3))


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "img.png"
    keras.utils.save_img(path, IMG, scale=False)
    return path


def test_fixture_image_is_the_reference_one():
    np.testing.assert_array_equal(IMG[..., 0], [[172, 192, 195, 211, 36, 216],
                                                [58, 39, 88, 25, 9, 208],
                                                [254, 192, 216, 29, 142, 193],
                                                [127, 202, 163, 114, 34, 164]])


def test_png_round_trip_is_exact(png):
    img = keras.utils.load_img(png)
    assert img.mode == "RGB" and img.size == (6, 4)
    x = keras.utils.img_to_array(img)
    assert x.dtype == np.float32 and x.shape == (4, 6, 3)
    np.testing.assert_array_equal(x, IMG)


@pytest.mark.parametrize("method, expected", [
    ("nearest", [[39, 25, 208], [202, 114, 164]]),
    ("bilinear", [[134, 117, 122], [173, 121, 121]]),
    ("bicubic", [[131, 115, 121], [182, 117, 120]]),
    ("box", [[116, 130, 118], [194, 131, 134]]),
    ("hamming", [[121, 125, 119], [188, 128, 130]]),
    ("lanczos", [[137, 110, 122], [186, 110, 115]]),
])
def test_load_img_resize_goldens(png, method, expected):
    img = keras.utils.load_img(png, target_size=(2, 3), interpolation=method)
    np.testing.assert_array_equal(keras.utils.img_to_array(img)[..., 0], expected)


def test_load_img_keep_aspect_ratio(png):
    img = keras.utils.load_img(png, target_size=(2, 2), keep_aspect_ratio=True)
    np.testing.assert_array_equal(keras.utils.img_to_array(img)[..., 0], [[88, 9], [163, 34]])


def test_load_img_path_kinds_and_color_modes(png):
    data = png.read_bytes()
    for path in (str(png), pathlib.Path(png), str(png).encode(), io.BytesIO(data)):
        assert keras.utils.load_img(path).size == (6, 4)
    assert keras.utils.load_img(png, color_mode="grayscale").mode == "L"
    assert keras.utils.img_to_array(keras.utils.load_img(png, color_mode="rgba")).shape == (4, 6, 4)
    gray = keras.utils.img_to_array(keras.utils.load_img(png, color_mode="grayscale"))
    assert gray.shape == (4, 6, 1)
    assert keras.utils.img_to_array(keras.utils.load_img(png, color_mode="grayscale"),
                                    data_format="channels_first").shape == (1, 4, 6)


def test_load_img_errors(png):
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO, not <class 'int'>"):
        keras.utils.load_img(3)
    with pytest.raises(ValueError, match='color_mode must be "grayscale", "rgb", or "rgba"'):
        keras.utils.load_img(png, color_mode="hsv")
    with pytest.raises(ValueError, match="Invalid interpolation method area specified. Supported "
                       "methods are nearest, bilinear, bicubic, hamming, box, lanczos"):
        keras.utils.load_img(png, target_size=(2, 2), interpolation="area")


def test_array_to_img_goldens():
    x = np.array([[[0., 0.5, 1.], [0.25, 0.75, 1.0]]], dtype="float32")
    img = keras.utils.array_to_img(x)
    assert img.mode == "RGB" and img.size == (2, 1)
    np.testing.assert_array_equal(np.asarray(img), [[[0, 127, 255], [63, 191, 255]]])
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(x, scale=False)),
                                  [[[0, 0, 1], [0, 0, 1]]])
    back = keras.utils.img_to_array(img)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, [[[0., 127., 255.], [63., 191., 255.]]])
    gray = keras.utils.array_to_img(np.array([[[1.], [3.]]]))
    assert gray.mode == "L"
    np.testing.assert_array_equal(np.asarray(gray), [[0, 255]])
    wide = keras.utils.array_to_img(np.array([[[0.], [300.]]]), scale=False)
    assert wide.mode == "I"
    np.testing.assert_array_equal(np.asarray(wide), [[0, 300]])
    wrapped = keras.utils.array_to_img(np.array([[[-1., 256., 300.]]]), scale=False)
    np.testing.assert_array_equal(np.asarray(wrapped), [[[255, 0, 44]]])   # uint8 wrap
    assert keras.utils.array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    chw = keras.utils.array_to_img(np.zeros((3, 2, 5)), data_format="channels_first")
    assert chw.size == (5, 2)


def test_array_to_img_errors():
    with pytest.raises(ValueError, match=r"Unsupported channel number: 2"):
        keras.utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"Expected image array to have rank 3 \(single image\). "
                       r"Got array with shape: \(2, 2\)"):
        keras.utils.array_to_img(np.zeros((2, 2)))


def test_save_img_jpeg_and_rgba_warning(tmp_path):
    x = np.full((4, 4, 3), 200.0)
    keras.utils.save_img(tmp_path / "a.jpg", x, scale=False, quality=95)
    back = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a.jpg"))
    assert np.abs(back - 200).max() <= 2
    with pytest.warns(UserWarning, match="The JPEG format does not support RGBA images"):
        keras.utils.save_img(tmp_path / "b.jpeg", np.zeros((2, 2, 4)))
    assert keras.utils.load_img(tmp_path / "b.jpeg").size == (2, 2)
    buffer = io.BytesIO()
    keras.utils.save_img(buffer, x, file_format="png")
    assert keras.utils.load_img(io.BytesIO(buffer.getvalue())).size == (4, 4)


def test_smart_resize_golden_and_batch():
    x = np.arange(24, dtype="float32").reshape(4, 6, 1)
    out = keras.preprocessing.image.smart_resize(x, (2, 2))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], [[4.5, 6.5], [16.5, 18.5]])
    batch = keras.preprocessing.image.smart_resize(np.stack([x, x]), (2, 2))
    assert batch.shape == (2, 2, 2, 1)
    assert not hasattr(keras.utils, "smart_resize")          # as in Keras


def test_smart_resize_errors():
    with pytest.raises(ValueError, match="Expected `size` to be a tuple of 2 integers"):
        keras.preprocessing.image.smart_resize(np.zeros((4, 4, 1)), (2, 2, 2))
    with pytest.raises(ValueError, match="incorrect rank"):
        keras.preprocessing.image.smart_resize(np.zeros((4, 4)), (2, 2))
    with pytest.raises(ValueError, match="Received: interpolation=lanczos3"):
        keras.preprocessing.image.smart_resize(np.zeros((4, 4, 1)), (2, 2), "lanczos3")


# Keras's Resizing goldens on the torch backend (reference §2.3), from our NumPy resampler.
IMG16 = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)


@pytest.mark.parametrize("method, size, expected", [
    ("bilinear", (2, 3), [[2.1666667461395264, 3.5, 4.833333492279053],
                          [10.166666030883789, 11.5, 12.833333015441895]]),
    ("nearest", (2, 3), [[4.0, 6.0, 7.0], [12.0, 14.0, 15.0]]),
    ("bicubic", (2, 3), [[1.7511578798294067, 3.125, 4.498843669891357],
                         [10.50115966796875, 11.875, 13.248845100402832]]),
    ("bilinear", (3, 3), [[0.8333333730697632, 2.1666667461395264, 3.5],
                          [6.166666507720947, 7.5, 8.833333015441895],
                          [11.500000953674316, 12.833333969116211, 14.166666984558105]]),
])
def test_resize_goldens(method, size, expected):
    out = image_utils.resize_images(IMG16, size, method)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, ..., 0], expected, atol=2e-6)


def test_resize_upsampling_row_uint8_and_pad():
    np.testing.assert_allclose(image_utils.resize_images(IMG16, (8, 8))[0, 0, :, 0],
                               [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0])
    u8 = np.array([[0, 255], [255, 0]], dtype="uint8")[:, :, None]
    out = image_utils.resize_images(u8, (3, 3))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], [[0, 128, 255], [128, 128, 128], [255, 128, 0]])
    img46 = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)
    padded = image_utils.resize_images(image_utils.aspect_pad(img46, (4, 4)), (4, 4))
    np.testing.assert_allclose(padded[0, ..., 0], [[0.0625, 0.4375, 0.8125, 1.1875],
                                                   [4.75, 6.25, 7.75, 9.25],
                                                   [13.75, 15.25, 16.75, 18.25],
                                                   [4.5625, 4.9375, 5.3125, 5.6875]])
    six = image_utils.aspect_pad(img46, (6, 6), fill_value=-1)[0, ..., 0]
    np.testing.assert_array_equal(six[0], -1)
    np.testing.assert_array_equal(six[-1], -1)
    np.testing.assert_array_equal(six[1:5], img46[0, ..., 0])


def test_resize_weights_rows_sum_to_one():
    for method in image_utils.RESIZE_INTERPOLATIONS:
        for n_in, n_out in ((5, 3), (3, 7), (4, 4)):
            w = image_utils.resize_weights(n_in, n_out, method)
            np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_preprocessing_image_module():
    from kerastutor.preprocessing import image
    assert image.load_img is keras.utils.load_img
    assert sorted(image.__all__) == ["array_to_img", "img_to_array", "load_img", "save_img",
                                     "smart_resize"]
    assert not hasattr(image, "ImageDataGenerator")


def test_missing_pillow_names_the_extra(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r"pip install kerastutor\[images\]"):
        keras.utils.array_to_img(np.zeros((2, 2, 3)))
