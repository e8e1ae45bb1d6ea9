"""Real Keras 3 (torch backend) as the oracle for the data utilities that run without TensorFlow.

``pad_sequences``, the image helpers (``load_img``, ``img_to_array``,
``array_to_img``, ``save_img``, ``smart_resize``), ``keras.ops.image.resize``
(which our NumPy resampler reproduces), ``pack``/``unpack_x_y_sample_weight``,
``get_source_inputs`` and ``split_dataset``'s sizes are called on the same
inputs in both libraries. The dataset functions need tf.data (or grain) in
Keras, so they are checked against the reference sheet's goldens in
``tests/utils`` instead; here only their windowing rule is compared with a
window cut by hand from Keras's own formula.

Run by ``tox -e keras`` (KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402
from kerastutor.utils import image_utils  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
pytest.importorskip("PIL.Image")

IMG = np.random.RandomState(0).randint(0, 256, (5, 7, 3))


def same_error(call_keras, call_ours):
    """Both raise the same exception type with the same message."""
    with pytest.raises(Exception) as theirs:
        call_keras()
    with pytest.raises(type(theirs.value)) as ours:
        call_ours()
    assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------ pad_sequences
PAD_CASES = [
    ([[1], [2, 3], [4, 5, 6]], {}),
    ([[1], [2, 3], [4, 5, 6]], {"maxlen": 2}),
    ([[1], [2, 3], [4, 5, 6]], {"maxlen": 2, "padding": "post", "truncating": "post"}),
    ([[1], [2, 3], [4, 5, 6]], {"maxlen": 5, "value": -1, "padding": "post"}),
    ([[1.7, -2.5], [3.9]], {}),
    ([[1.7, -2.5], [3.9]], {"dtype": "float32", "value": 0.5}),
    ([[], [1, 2]], {}),
    ([[], []], {}),
    ([[[1, 2]], [[3, 4], [5, 6]]], {}),
    ([["a"], ["b", "c"]], {"dtype": object, "value": ""}),
    (np.arange(12).reshape(3, 4), {"maxlen": 3, "dtype": "int64"}),
]


@pytest.mark.parametrize("sequences, kwargs", PAD_CASES)
def test_pad_sequences(sequences, kwargs):
    theirs = keras.utils.pad_sequences(sequences, **kwargs)
    ours = kerastutor.utils.pad_sequences(sequences, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("sequences, kwargs", [
    ([], {}), ([[1, 2], [3]], {"maxlen": 0}), ([[1], [2]], {"value": "x"}),
    ([[1]], {"padding": "mid"}), ([[1]], {"truncating": "mid"}), ([1, 2], {}),
])
def test_pad_sequences_errors(sequences, kwargs):
    same_error(lambda: keras.utils.pad_sequences(sequences, **kwargs),
               lambda: kerastutor.utils.pad_sequences(sequences, **kwargs))


# -------------------------------------------------------------- image utils
@pytest.fixture
def png(tmp_path):
    path = str(tmp_path / "img.png")
    keras.utils.save_img(path, IMG, scale=False)
    return path


@pytest.mark.parametrize("kwargs", [
    {}, {"color_mode": "grayscale"}, {"color_mode": "rgba"},
    {"target_size": (3, 4)}, {"target_size": (3, 4), "interpolation": "bilinear"},
    {"target_size": (8, 5), "interpolation": "bicubic"},
    {"target_size": (2, 2), "interpolation": "lanczos", "keep_aspect_ratio": True},
    {"target_size": (4, 2), "interpolation": "box", "keep_aspect_ratio": True},
])
def test_load_img_and_img_to_array(png, kwargs):
    theirs = keras.utils.img_to_array(keras.utils.load_img(png, **kwargs))
    ours = kerastutor.utils.img_to_array(kerastutor.utils.load_img(png, **kwargs))
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(
        kerastutor.utils.img_to_array(kerastutor.utils.load_img(png, **kwargs),
                                      data_format="channels_first", dtype="uint8"),
        keras.utils.img_to_array(keras.utils.load_img(png, **kwargs),
                                 data_format="channels_first", dtype="uint8"))


@pytest.mark.parametrize("x, kwargs", [
    (np.array([[[0., 0.5, 1.], [0.25, 0.75, 1.0]]]), {}),
    (np.array([[[0., 0.5, 1.], [0.25, 0.75, 1.0]]]), {"scale": False}),
    (np.array([[[1.], [3.]]]), {}),
    (np.array([[[0.], [300.]]]), {"scale": False}),
    (np.array([[[-1., 256., 300.]]]), {"scale": False}),
    (np.random.RandomState(1).rand(3, 4, 4), {}),
    (np.random.RandomState(2).rand(3, 2, 5) * 9, {"data_format": "channels_first"}),
])
def test_array_to_img(x, kwargs):
    theirs = keras.utils.array_to_img(x, **kwargs)
    ours = kerastutor.utils.array_to_img(x, **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("x", [np.zeros((2, 2, 2)), np.zeros((2, 2))])
def test_array_to_img_errors(x):
    same_error(lambda: keras.utils.array_to_img(x), lambda: kerastutor.utils.array_to_img(x))


@pytest.mark.parametrize("name", ["a.png", "a.jpg", "a.bmp"])
def test_save_img_files_are_identical(tmp_path, name):
    x = np.random.RandomState(3).rand(6, 5, 3)
    keras.utils.save_img(str(tmp_path / ("k_" + name)), x)
    kerastutor.utils.save_img(str(tmp_path / ("t_" + name)), x)
    assert (tmp_path / ("k_" + name)).read_bytes() == (tmp_path / ("t_" + name)).read_bytes()


@pytest.mark.parametrize("shape, size, interpolation", [
    ((4, 6, 1), (2, 2), "bilinear"), ((5, 7, 3), (3, 3), "bilinear"),
    ((2, 5, 7, 3), (4, 2), "nearest"), ((5, 7, 3), (9, 4), "bicubic"),
    ((7, 5, 2), (3, 6), "bilinear"),
])
def test_smart_resize(shape, size, interpolation):
    x = np.random.RandomState(4).rand(*shape).astype("float32") * 255
    theirs = keras.preprocessing.image.smart_resize(x, size, interpolation=interpolation)
    ours = kerastutor.preprocessing.image.smart_resize(x, size, interpolation=interpolation)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("size", [(3, 4), (9, 11), (5, 2), (1, 1)])
@pytest.mark.parametrize("extra", [{}, {"crop_to_aspect_ratio": True},
                                   {"pad_to_aspect_ratio": True}])
def test_resize_matches_keras_ops_image_resize(interpolation, size, extra):
    x = np.random.RandomState(5).rand(2, 5, 7, 3).astype("float32") * 255
    theirs = keras.ops.convert_to_numpy(
        keras.ops.image.resize(x, size, interpolation=interpolation, **extra))
    if extra.get("crop_to_aspect_ratio"):
        x = image_utils.aspect_crop(x, size)
    elif extra.get("pad_to_aspect_ratio"):
        x = image_utils.aspect_pad(x, size)
    ours = image_utils.resize_images(x, size, interpolation)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


def test_resize_uint8_keeps_dtype_like_keras():
    x = np.random.RandomState(6).randint(0, 256, (5, 7, 3)).astype("uint8")
    theirs = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (3, 4)))
    ours = image_utils.resize_images(x, (3, 4))
    assert ours.dtype == theirs.dtype
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1


# -------------------------------------------- windows, sizes, pack, sources
@pytest.mark.parametrize("kwargs", [
    {"sequence_length": 3},
    {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2},
    {"sequence_length": 2, "start_index": 2, "end_index": 15, "sampling_rate": 3},
])
def test_timeseries_windows_follow_keras_formula(kwargs):
    """Keras's rule (timeseries_dataset_utils.py): window i = data[s + p : s + p + L*r : r]."""
    data, targets = np.random.RandomState(7).rand(20, 2), np.arange(20)
    length, rate = kwargs["sequence_length"], kwargs.get("sampling_rate", 1)
    start, end = kwargs.get("start_index") or 0, kwargs.get("end_index") or len(data)
    starts = np.arange(0, end - start - (length - 1) * rate, kwargs.get("sequence_stride", 1))
    ds = kerastutor.utils.timeseries_dataset_from_array(data, targets, batch_size=None, **kwargs)
    assert len(ds) == len(starts)
    for (x, y), p in zip(ds, starts):
        np.testing.assert_array_equal(x, data[start + p:start + p + length * rate:rate])
        assert y == targets[start + p]


@pytest.mark.parametrize("kwargs", [
    {"left_size": 0.25}, {"left_size": 0.35}, {"right_size": 3}, {"left_size": 0.8},
    {"left_size": 4, "right_size": 6}, {"left_size": 0.5, "right_size": 0.5},
])
def test_split_dataset_sizes(kwargs):
    x = np.arange(10).reshape(10, 1)
    theirs = keras.utils.split_dataset(x, **kwargs)
    ours = kerastutor.utils.split_dataset(x, **kwargs)
    assert [len(d) for d in ours] == [len(d) for d in theirs]


@pytest.mark.parametrize("kwargs", [{}, {"left_size": 1.0}, {"right_size": 10},
                                    {"left_size": 0.6, "right_size": 0.6}])
def test_split_dataset_errors(kwargs):
    x = np.arange(10).reshape(10, 1)
    same_error(lambda: keras.utils.split_dataset(x, **kwargs),
               lambda: kerastutor.utils.split_dataset(x, **kwargs))


@pytest.mark.parametrize("data", [np.ones(2), (np.ones(2),), [np.ones(2), 1], (1, 2, 3),
                                  [1, 2, 3]])
def test_unpack_and_pack(data):
    theirs = keras.utils.unpack_x_y_sample_weight(data)
    ours = kerastutor.utils.unpack_x_y_sample_weight(data)
    assert [type(v) for v in ours] == [type(v) for v in theirs]
    assert type(kerastutor.utils.pack_x_y_sample_weight(*ours)) is \
        type(keras.utils.pack_x_y_sample_weight(*theirs))


def test_get_source_inputs_counts():
    def sources(lib):
        a, b = lib.Input((3,)), lib.Input((3,))
        merged = lib.layers.Add()([lib.layers.Dense(2)(a), lib.layers.Dense(2)(b)])
        return len(lib.utils.get_source_inputs(lib.layers.Dense(1)(merged)))
    assert sources(kerastutor) == sources(keras) == 2


def test_public_names():
    names = {"pad_sequences", "timeseries_dataset_from_array", "split_dataset",
             "image_dataset_from_directory", "text_dataset_from_directory", "load_img",
             "img_to_array", "array_to_img", "save_img", "get_source_inputs",
             "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "clear_session"}
    for name in names:
        assert hasattr(keras.utils, name) and hasattr(kerastutor.utils, name), name
    assert hasattr(keras.utils, "smart_resize") == hasattr(kerastutor.utils, "smart_resize")
    assert set(kerastutor.preprocessing.image.__all__) == {
        n for n in dir(keras.preprocessing.image) if not n.startswith("_")}
