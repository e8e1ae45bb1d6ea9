"""keras.ops.image: every op gradient-checked on tiny images, plus goldens and kind errors.

Images stay tiny (sides <= 5, channels <= 3) so the finite differences are cheap.
The sampling ops are linear in the pixels, so any image is a fair point to check
them at; the colour ops have kinks (the largest channel switching, a ramp
clipping), so their inputs are drawn away from them.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests

BUG_BLUR_LAYOUT = ("Keras on torch ignores data_format=None in gaussian_blur (it only "
                   "permutes for the string 'channels_last'), so (N, H, W, C) images are "
                   "blurred as (N, C, H, W)")
#: Cases where Keras on torch works in float32 inside even for float64 inputs
#: (``keras.src.backend.result_type("float64", float)`` is float32 there): its torch-autograd
#: gradient is float32-accurate only, so the oracle file compares them at rtol=1e-4.
KERAS_FLOAT32 = ("Keras on torch computes this in float32 even for float64 inputs; compared "
                 "in the oracle file at rtol=1e-4")
BUG_PROJECTIVE = ("Keras on torch/NumPy multiplies c0, c1 by the *channel index* "
                  "(its meshgrid includes the channel axis) instead of dividing by "
                  "k = c0 x + c1 y + 1, the documented formula")


# ------------------------------------------------------------------------ drawing images
def image(rng, batch=2, channels=3, first=False, low=0.0, high=1.0, sides=(2, 5)):
    """A tiny float64 image batch ``(N, H, W, C)`` (``batch=None``: one image)."""
    h, w = rng.integers(sides[0], sides[1] + 1, size=2)
    shape = (h, w, channels) if not first else (channels, h, w)
    shape = shape if batch is None else (batch,) + shape
    return rng.uniform(low, high, size=shape)


def distinct_rgb(rng, shape):
    """RGB pixels whose channels are >= 0.2 apart: no ties for max/min (the HSV kinks)."""
    levels = rng.uniform(0.02, 0.12, size=shape[:-1] + (1,)) + np.array([0.0, 0.3, 0.6])
    levels = levels + rng.uniform(0.0, 0.15, size=shape[:-1] + (1,))
    order = np.argsort(rng.random(shape), axis=-1)
    return np.take_along_axis(levels, order, axis=-1)


def smooth_hsv(rng, shape):
    """HSV pixels with the hue inside one sixth (away from the ramps' kinks)."""
    sixth = rng.integers(0, 6, size=shape[:-1])
    hue = (sixth + rng.uniform(0.15, 0.85, size=shape[:-1])) / 6
    s = rng.uniform(0.1, 0.9, size=shape[:-1])
    v = rng.uniform(0.1, 0.9, size=shape[:-1])
    return np.stack([hue, s, v], axis=-1)


def off_grid(rng, shape, low, high):
    """Coordinates at least 0.1 from every integer (the kinks of linear interpolation)."""
    whole = rng.integers(int(np.floor(low)), int(np.ceil(high)), size=shape)
    return whole + rng.uniform(0.1, 0.9, size=shape)


def rotation(angle, height, width):
    """Keras's transform row for a rotation about the image centre."""
    cos, sin = np.cos(angle), np.sin(angle)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return np.array([cos, -sin, cx - cos * cx + sin * cy,
                     sin, cos, cy - sin * cx - cos * cy, 0.0, 0.0])


CORNERS = np.array([[0.0, 0.0], [0.0, 4.0], [4.0, 0.0], [4.0, 4.0]])


# ------------------------------------------------------------------------ the cases
CASES = [
    # -- colour
    OpCase("image.rgb_to_grayscale", lambda r: (image(r),), label="batch"),
    OpCase("image.rgb_to_grayscale", lambda r: (image(r, batch=None),), label="single"),
    OpCase("image.rgb_to_grayscale", lambda r: (image(r, first=True),),
           {"data_format": "channels_first"}, label="channels_first"),
    OpCase("image.rgb_to_grayscale", lambda r: (image(r, channels=1),), label="one_channel"),
    OpCase("image.rgb_to_grayscale", lambda r: ((image(r) * 255).astype("int32"),), grad=(),
           label="int32"),
    OpCase("image.rgb_to_hsv", lambda r: (distinct_rgb(r, (2, 3, 4, 3)),), kinked=True,
           label="batch"),
    OpCase("image.rgb_to_hsv", lambda r: (np.moveaxis(distinct_rgb(r, (2, 3, 2, 3)), -1, 1),),
           {"data_format": "channels_first"}, kinked=True, label="channels_first"),
    OpCase("image.hsv_to_rgb", lambda r: (smooth_hsv(r, (2, 3, 4, 3)),), kinked=True,
           label="batch"),
    OpCase("image.hsv_to_rgb", lambda r: (smooth_hsv(r, (4, 3, 3)),), kinked=True,
           label="single"),
    # -- resize (torch's arithmetic: half-pixel centres, bicubic a = -0.75)
    OpCase("image.resize", lambda r: (image(r), (5, 4)), label="bilinear_up"),
    OpCase("image.resize", lambda r: (image(r, sides=(4, 5)), (2, 3)),
           {"antialias": True}, label="bilinear_down_antialias"),
    OpCase("image.resize", lambda r: (image(r, sides=(4, 5)), (2, 2)), label="bilinear_down"),
    OpCase("image.resize", lambda r: (image(r), (5, 3)), {"interpolation": "nearest"},
           label="nearest"),
    OpCase("image.resize", lambda r: (image(r, channels=2), (5, 4)),
           {"interpolation": "bicubic"}, label="bicubic_up"),
    OpCase("image.resize", lambda r: (image(r, sides=(4, 5)), (2, 3)),
           {"interpolation": "bicubic", "antialias": True}, label="bicubic_antialias"),
    OpCase("image.resize", lambda r: (image(r, batch=None, first=True), (3, 4)),
           {"data_format": "channels_first"}, label="channels_first"),
    OpCase("image.resize", lambda r: (r.uniform(size=(1, 4, 2, 2)), (3, 3)),
           {"crop_to_aspect_ratio": True}, label="crop_to_aspect"),
    OpCase("image.resize", lambda r: (r.uniform(size=(1, 4, 2, 2)), (3, 3)),
           {"pad_to_aspect_ratio": True, "fill_value": 0.5}, label="pad_to_aspect"),
    OpCase("image.resize", lambda r: (r.uniform(size=(2, 2, 5, 1)), (4, 4)),
           {"pad_to_aspect_ratio": True}, label="pad_height"),
    OpCase("image.resize", lambda r: (r.uniform(size=(1, 4, 5, 2)), (3, 2)),
           {"interpolation": "lanczos3"}, label="lanczos3", oracle=False,
           note="Keras on torch refuses Lanczos; we compute it as Keras's NumPy backend does"),
    OpCase("image.resize", lambda r: ((image(r) * 255).astype("int32"), (5, 3)), grad=(),
           label="int32", rtol=0, atol=1),          # exact .5 ties round either way in float32
    # -- scale_and_translate (Keras's NumPy/JAX arithmetic, which torch shares)
    OpCase("image.scale_and_translate", lambda r: (r.uniform(size=(3, 3)), (5, 5),
                                                   np.array([2.0, 2.0]),
                                                   np.array([-0.5, -0.5])),
           {"spatial_dims": (0, 1), "method": "linear"}, label="linear_2d"),
    OpCase("image.scale_and_translate", lambda r: (image(r, sides=(4, 5)), (2, 2, 3, 3),
                                                   np.array([0.6, 0.7]), np.array([0.2, -0.1])),
           {"spatial_dims": (1, 2), "method": "bicubic"}, label="cubic_down", oracle=False,
           note=KERAS_FLOAT32),
    OpCase("image.scale_and_translate", lambda r: (image(r, sides=(4, 5)), (2, 2, 3, 3),
                                                   np.array([0.6, 0.7]), np.array([0.2, -0.1])),
           {"spatial_dims": (1, 2), "method": "linear", "antialias": False},
           label="linear_no_antialias", oracle=False, note=KERAS_FLOAT32),
    OpCase("image.scale_and_translate", lambda r: (r.uniform(size=(2, 4, 5)), (2, 5, 3),
                                                   np.array([1.3, 0.6]), np.array([0.4, 0.0])),
           {"spatial_dims": (-2, -1), "method": "lanczos3"}, label="lanczos3", oracle=False,
           note=KERAS_FLOAT32),
    OpCase("image.scale_and_translate", lambda r: (r.uniform(size=(5, 2)), (5, 2),
                                                   np.array([0.8]), np.array([1.5])),
           {"spatial_dims": (0,), "method": "lanczos5"}, label="lanczos5_1d"),
    # -- warps
    OpCase("image.affine_transform", lambda r: (image(r, batch=2, sides=(4, 5)),
                                                np.stack([rotation(0.5, 5, 5),
                                                          rotation(-1.1, 5, 5)])),
           label="rotate_constant"),
    OpCase("image.affine_transform", lambda r: (image(r, batch=None),
                                                np.array([0.8, 0.3, 0.4, -0.2, 1.1, -0.7, 0, 0])),
           {"fill_mode": "reflect"}, label="reflect"),
    OpCase("image.affine_transform", lambda r: (image(r, channels=2),
                                                np.tile([1.2, 0.1, -1.3, 0.2, 0.9, 1.6, 0, 0],
                                                        (2, 1))),
           {"fill_mode": "wrap", "fill_value": 0.3}, label="wrap"),
    OpCase("image.affine_transform", lambda r: (image(r, channels=2),
                                                np.tile([0.9, -0.3, 1.4, 0.2, 1.3, -1.2, 0, 0],
                                                        (2, 1))),
           {"fill_mode": "mirror"}, label="mirror"),
    OpCase("image.affine_transform", lambda r: (image(r, channels=1),
                                                np.tile([0.9, -0.3, 1.4, 0.2, 1.3, -1.2, 0, 0],
                                                        (2, 1))),
           {"fill_mode": "mirror"}, label="mirror_one_channel", oracle=False,
           note="Keras on torch divides by zero: its mirror fixer also runs on the size-1 "
                "channel axis"),
    OpCase("image.affine_transform", lambda r: (image(r, channels=2),
                                                np.tile([1.13, 0.31, -0.57, -0.21, 0.83, 0.41, 0,
                                                         0], (2, 1))),
           {"fill_mode": "nearest", "interpolation": "nearest"}, label="nearest_nearest"),
    OpCase("image.affine_transform", lambda r: (image(r, first=True),
                                                np.tile([0.7, 0.2, 0.9, 0.1, 1.2, -0.8, 0, 0],
                                                        (2, 1))),
           {"data_format": "channels_first", "fill_value": 0.5}, label="channels_first"),
    OpCase("image.affine_transform", lambda r: (image(r, channels=2, sides=(4, 5)),
                                                np.tile([1.0, 0.1, 0.3, 0.05, 1.0, 0.2, 0.08, 0.06],
                                                        (2, 1))),
           label="projective", keras_bug=BUG_PROJECTIVE),
    OpCase("image.perspective_transform", lambda r: (image(r, sides=(5, 5)), CORNERS,
                                                     CORNERS + r.uniform(-0.8, 0.8, (4, 2))),
           atol=1e-5, label="bilinear", oracle=False, note=KERAS_FLOAT32),
    OpCase("image.perspective_transform", lambda r: (image(r, batch=None, sides=(5, 5)),
                                                     CORNERS, CORNERS + np.array(
                                                         [[0.5, 0.3], [-0.4, 0.2],
                                                          [0.3, -0.6], [-0.2, 0.4]])),
           {"interpolation": "nearest", "fill_value": 0.25}, label="nearest_single"),
    OpCase("image.perspective_transform", lambda r: (image(r, batch=2, first=True, sides=(5, 5)),
                                                     np.stack([CORNERS] * 2),
                                                     np.stack([CORNERS + 0.3, CORNERS * 0.9])),
           {"data_format": "channels_first"}, atol=1e-5, label="batched_points", oracle=False,
           note=KERAS_FLOAT32),
    OpCase("image.elastic_transform", lambda r: (image(r),), {"alpha": 2.0, "sigma": 1.0,
                                                              "seed": 3},
           oracle=False, label="seeded",
           note="Keras on torch ignores `seed` on the CPU (torch's global generator draws)"),
    OpCase("image.elastic_transform", lambda r: (image(r, channels=2),),
           {"alpha": 3.0, "sigma": 0.7, "interpolation": "nearest", "fill_mode": "constant",
            "fill_value": 0.5, "seed": 11}, oracle=False, label="nearest_constant",
           note="Keras on torch ignores `seed` on the CPU (torch's global generator draws)"),
    OpCase("image.elastic_transform", lambda r: (image(r, first=True),),
           {"alpha": 0.0, "data_format": "channels_first", "seed": 1}, label="alpha0"),
    # -- map_coordinates (gradients for the values and, order 1, the coordinates)
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(4, 5)),
                                               off_grid(r, (2, 3, 3), -1.5, 5.5), 1),
           {"fill_value": 0.5}, grad=(0, 1), label="linear_constant"),
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(3, 4, 2)),
                                               off_grid(r, (3, 5), -2, 5), 1),
           {"fill_mode": "wrap"}, grad=(0, 1), label="linear_wrap_3d"),
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(4, 4)),
                                               off_grid(r, (2, 6), -3, 7), 1),
           {"fill_mode": "mirror"}, grad=(0, 1), label="linear_mirror"),
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(5, 3)),
                                               off_grid(r, (2, 6), -3, 7), 1),
           {"fill_mode": "reflect"}, grad=(0, 1), label="linear_reflect"),
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(3, 4)),
                                               off_grid(r, (2, 2, 3), -2, 6), 1),
           {"fill_mode": "nearest"}, grad=(0, 1), label="linear_nearest"),
    OpCase("image.map_coordinates", lambda r: (r.uniform(size=(4, 5)),
                                               off_grid(r, (2, 7), -2, 6) + 0.0, 0),
           {"fill_mode": "constant", "fill_value": 0.25}, label="order0"),
    # -- filters
    OpCase("image.gaussian_blur", lambda r: (image(r, sides=(3, 5)),),
           {"data_format": "channels_last"}, label="default"),
    OpCase("image.gaussian_blur", lambda r: (image(r, sides=(3, 5)),),
           {"kernel_size": (5, 5), "sigma": (0.7, 1.6), "data_format": "channels_last"},
           label="5x5_two_sigmas"),
    OpCase("image.gaussian_blur", lambda r: (image(r, first=True),),
           {"data_format": "channels_first", "sigma": (2.0, 2.0)}, label="channels_first"),
    OpCase("image.gaussian_blur", lambda r: (image(r, batch=None, first=True),),
           {"data_format": "channels_first"}, label="single"),
    OpCase("image.gaussian_blur", lambda r: (image(r, sides=(3, 5), channels=2),),
           label="data_format_none", keras_bug=BUG_BLUR_LAYOUT),
    OpCase("image.gaussian_blur", lambda r: (image(r, sides=(3, 5)),),
           {"kernel_size": (3, 5), "sigma": (1.0, 2.0), "data_format": "channels_last"},
           label="3x5", oracle=False,
           note="Keras on torch returns the wrong shape for a non-square kernel; we follow "
                "its NumPy backend (kernel_size[0] along the width)"),
    OpCase("image.gaussian_blur", lambda r: (image(r, sides=(3, 5)),),
           {"kernel_size": (2, 4), "data_format": "channels_last"}, label="even", oracle=False,
           note="Keras on torch pads an even kernel on both sides (the size grows by one); "
                "we keep the size, as its NumPy backend does"),
    OpCase("image.sobel_edges", lambda r: (image(r),), label="channels_last"),
    OpCase("image.sobel_edges", lambda r: (image(r, first=True, channels=2),),
           {"data_format": "channels_first"}, label="channels_first"),
    OpCase("image.ssim", lambda r: _ssim_pair(r, (2, 5, 4, 3)), {"filter_size": 3},
           grad=(0, 1), label="batch", oracle=False, note=KERAS_FLOAT32),
    OpCase("image.ssim", lambda r: _ssim_pair(r, (5, 5, 2)),
           {"filter_size": 5, "filter_sigma": 1.0, "max_val": 2.0}, grad=(0, 1),
           label="single", oracle=False, note=KERAS_FLOAT32),
    OpCase("image.ssim", lambda r: _ssim_pair(r, (2, 1, 4, 5)),
           {"filter_size": 3, "data_format": "channels_first", "k1": 0.05, "k2": 0.1},
           grad=(0, 1), label="channels_first", oracle=False, note=KERAS_FLOAT32),
    # -- patches
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(2, 4, 4, 2)), 2),
           label="size2"),
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(1, 5, 5, 2)), (2, 3)),
           {"strides": 1, "dilation_rate": 2}, label="dilated"),
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(2, 5, 4, 1)), (3, 2)),
           {"strides": (2, 2), "padding": "same"}, label="same"),
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(5, 5, 3)), (2, 2)),
           {"strides": (1, 2)}, label="single"),
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(1, 2, 4, 5)), (2, 2)),
           {"data_format": "channels_first", "strides": 1, "padding": "same"},
           label="channels_first"),
    OpCase("image.extract_patches", lambda r: (r.uniform(size=(1, 4, 4, 3, 1)), (2, 2, 2)),
           label="3d_via_size"),
    OpCase("image.extract_patches_3d", lambda r: (r.uniform(size=(1, 4, 4, 4, 2)), 2),
           label="size2"),
    OpCase("image.extract_patches_3d", lambda r: (r.uniform(size=(3, 3, 4, 1)), (2, 2, 2)),
           {"strides": 1}, label="single_overlap"),
    OpCase("image.extract_patches_3d", lambda r: (r.uniform(size=(1, 3, 4, 3, 2)), (2, 3, 2)),
           {"strides": (2, 1, 2), "padding": "same"}, label="same"),
    # -- pad and crop
    OpCase("image.pad_images", lambda r: (image(r),), {"top_padding": 1, "left_padding": 2,
                                                       "bottom_padding": 0, "right_padding": 1},
           label="sides"),
    OpCase("image.pad_images", lambda r: (image(r, batch=None, sides=(2, 3)), 1, 0),
           {"target_height": 5, "target_width": 4}, label="targets"),
    OpCase("image.pad_images", lambda r: (image(r, first=True, sides=(2, 3)),),
           {"bottom_padding": 2, "right_padding": 1, "target_height": 6, "target_width": 5,
            "data_format": "channels_first"}, label="channels_first"),
    OpCase("image.crop_images", lambda r: (r.uniform(size=(2, 5, 5, 2)), 1, 0, 1, 2),
           label="sides"),
    OpCase("image.crop_images", lambda r: (r.uniform(size=(5, 4, 3)),),
           {"top_cropping": 2, "left_cropping": 1, "target_height": 2, "target_width": 3},
           label="targets"),
    OpCase("image.crop_images", lambda r: (r.uniform(size=(2, 1, 5, 4)),),
           {"bottom_cropping": 1, "target_height": 3, "right_cropping": 2,
            "target_width": 1, "data_format": "channels_first"}, label="channels_first"),
]


def _ssim_pair(rng, shape):
    """Two related images (SSIM of unrelated noise is near 0, and flat)."""
    x = rng.uniform(0.1, 0.9, size=shape)
    return x, np.clip(x + rng.normal(0, 0.15, size=shape), 0, 1)


test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


def test_every_image_op_has_a_case():
    covered = {c.op.split(".")[1] for c in CASES}
    assert covered == set(ops.image.__all__)
    assert len(ops.image.__all__) == 16


def test_image_ops_are_not_top_level():
    for name in ops.image.__all__:
        assert not hasattr(ops, name), f"ops.{name} should only be ops.image.{name}"


# ------------------------------------------------------------------------ goldens
def test_resize_bilinear_golden():
    # 2 -> 4 samples at -0.25, 0.25, 0.75, 1.25 (clamped at the edges): [0, .25, .75, 1] * 4
    x = np.array([[0.0, 4.0]], dtype="float32").reshape(1, 2, 1)
    out = ops.image.resize(x, (1, 4))
    np.testing.assert_allclose(out[0, :, 0], [0.0, 1.0, 3.0, 4.0])
    assert out.dtype == np.float32


def test_resize_nearest_and_int_rounding():
    x = np.arange(16, dtype="float32").reshape(4, 4, 1)
    np.testing.assert_array_equal(ops.image.resize(x, (2, 2), "nearest")[..., 0],
                                  [[5, 7], [13, 15]])
    ints = ops.image.resize(np.array([[[0], [255]]], dtype="uint8"), (1, 3))
    assert ints.dtype == np.uint8 and ints[0, :, 0].tolist() == [0, 128, 255]


def test_resize_crop_and_pad_to_aspect_ratio_windows():
    x = np.arange(8.0).reshape(4, 2, 1)
    # crop a 4x2 image to a square: rows 1..2 (centred), then resize 2x2 -> 2x2 (identity)
    np.testing.assert_allclose(ops.image.resize(x, (2, 2), crop_to_aspect_ratio=True)[..., 0],
                               [[2, 3], [4, 5]])
    # pad a 4x2 image to 4x4 with one column of 9 each side, then keep 4x4
    padded = ops.image.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=9.0)[..., 0]
    np.testing.assert_allclose(padded[:, 0], 9.0)
    np.testing.assert_allclose(padded[:, 1:3], x[..., 0])


def test_scale_and_translate_keras_docstring_example():
    images = np.arange(9, dtype="float32").reshape((3, 3))
    scale = np.array([2.0, 2.0], dtype="float32")
    out = ops.image.scale_and_translate(images, (5, 5), scale, -(scale / 2.0 - 0.5), (0, 1),
                                        "linear")
    np.testing.assert_allclose(out, np.arange(5)[None, :] * 0.5 + np.arange(5)[:, None] * 1.5)


def test_grayscale_weights_and_int_truncation():
    x = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    np.testing.assert_allclose(ops.image.rgb_to_grayscale(x)[..., 0], [[0.2989, 0.587, 0.114]])
    ints = ops.image.rgb_to_grayscale(np.array([[[10, 10, 10]]], dtype="int32"))
    assert ints.dtype == np.int32 and ints.item() == 9            # 9.999 truncated


def test_hsv_round_trip_and_primaries():
    rgb = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]])
    hsv = ops.image.rgb_to_hsv(rgb)
    np.testing.assert_allclose(hsv[0], [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, 0.5]])
    x = distinct_rgb(np.random.default_rng(0), (2, 3, 3))
    np.testing.assert_allclose(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(x)), x, atol=1e-12)


def test_affine_identity_and_translation():
    x = np.arange(12.0).reshape(1, 3, 4, 1)
    identity = np.array([1, 0, 0, 0, 1, 0, 0, 0.0])
    np.testing.assert_allclose(ops.image.affine_transform(x, identity), x)
    # a2 = 1: the output column c reads input column c + 1 (the image moves left)
    shifted = ops.image.affine_transform(x, np.array([1, 0, 1, 0, 1, 0, 0, 0.0]))
    np.testing.assert_allclose(shifted[0, :, :3, 0], x[0, :, 1:, 0])
    np.testing.assert_allclose(shifted[0, :, 3, 0], 0.0)


def test_one_transform_or_one_set_of_points_serves_the_whole_batch():
    x = np.random.default_rng(6).uniform(size=(3, 4, 4, 2))
    row = np.array([0.9, 0.2, 0.3, -0.1, 1.1, 0.2, 0, 0])
    np.testing.assert_allclose(ops.image.affine_transform(x, row),
                               ops.image.affine_transform(x, np.tile(row, (3, 1))))
    end = CORNERS * 0.8 + 0.3
    np.testing.assert_allclose(ops.image.perspective_transform(x, CORNERS, end),
                               ops.image.perspective_transform(x, np.stack([CORNERS] * 3),
                                                               np.stack([end] * 3)))


def test_affine_projective_divides_by_k():
    x = np.random.default_rng(0).uniform(size=(4, 4, 1))
    c0 = 0.1
    out = ops.image.affine_transform(x, np.array([1, 0, 0, 0, 1, 0, c0, 0.0]),
                                     fill_mode="nearest")
    # the pixel (row 1, column 2) reads (2 / 1.2, 1 / 1.2), bilinear
    r, c = 1 / 1.2, 2 / 1.2
    expected = ops.image.map_coordinates(x[..., 0], np.array([[r], [c]]), 1, "nearest")
    np.testing.assert_allclose(out[1, 2, 0], expected[0])


def test_perspective_with_equal_points_is_identity():
    x = np.random.default_rng(1).uniform(size=(5, 5, 2)).astype("float32")
    out = ops.image.perspective_transform(x, CORNERS, CORNERS)
    np.testing.assert_allclose(out, x, atol=1e-5)
    assert out.dtype == np.float32


def test_map_coordinates_fill_modes_golden():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    at = np.array([[-2.0, -1.0, 4.0, 5.0]])
    expect = {"constant": [0, 0, 0, 0], "nearest": [1, 1, 4, 4], "wrap": [3, 4, 1, 2],
              "mirror": [3, 2, 3, 2], "reflect": [2, 1, 4, 3]}
    for mode, values in expect.items():
        np.testing.assert_array_equal(ops.image.map_coordinates(x, at, 0, mode), values)
    np.testing.assert_allclose(ops.image.map_coordinates(x, np.array([[0.25, 2.5]]), 1),
                               [1.25, 3.5])


def test_map_coordinates_coordinate_gradient_is_the_slope():
    x = np.array([[0.0, 1.0], [10.0, 20.0]])
    with Tape() as tape:
        c = tape.watch(np.array([[0.5], [0.25]]))
        y = ops.image.map_coordinates(x, c, 1)
    grad = tape.gradient(y, np.ones(1), c)
    # d/d row: (1-.25)*(10-0) + .25*(20-1); d/d col: .5*(1-0) + .5*(20-10)
    np.testing.assert_allclose(grad[:, 0], [0.75 * 10 + 0.25 * 19, 0.5 + 5])


def test_elastic_transform_is_repeatable_and_seeded():
    x = np.random.default_rng(2).uniform(size=(1, 5, 5, 1)).astype("float32")
    a = ops.image.elastic_transform(x, alpha=3.0, sigma=1.0, seed=5)
    np.testing.assert_array_equal(a, ops.image.elastic_transform(x, alpha=3.0, sigma=1.0,
                                                                 seed=5))
    assert not np.allclose(a, ops.image.elastic_transform(x, alpha=3.0, sigma=1.0, seed=6))
    np.testing.assert_allclose(ops.image.elastic_transform(x, alpha=0.0, seed=5), x)
    assert a.dtype == np.float32


def test_elastic_transform_is_a_warp_by_the_blurred_noise():
    """The field is Keras's NumPy draw (xi_x then xi_y), blurred, then map_coordinates."""
    from kerastutor import random as keras_random
    x = np.random.default_rng(3).uniform(size=(1, 4, 5, 1))
    sigma, alpha = 1.0, 2.0
    noise = keras_random.normal((2, 1, 4, 5), seed=9).astype("float64")   # one draw of both
    rng = np.random.default_rng(keras_random.draw_seed(9))
    xi_x, xi_y = rng.normal(size=(1, 4, 5)), rng.normal(size=(1, 4, 5))
    np.testing.assert_allclose(np.stack([xi_x, xi_y]), noise, rtol=1e-6)
    blur = {"kernel_size": (7, 7), "sigma": (sigma, sigma), "data_format": "channels_last"}
    dx = ops.image.gaussian_blur((xi_x * sigma)[..., None], **blur)[0, ..., 0]
    dy = ops.image.gaussian_blur((xi_y * sigma)[..., None], **blur)[0, ..., 0]
    rows, cols = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    expected = ops.image.map_coordinates(x[0, ..., 0], np.stack([rows + alpha * dy,
                                                                cols + alpha * dx]), 1,
                                         "reflect")
    out = ops.image.elastic_transform(x, alpha=alpha, sigma=sigma, seed=9)
    np.testing.assert_allclose(out[0, ..., 0], expected, atol=1e-12)


def test_gaussian_blur_pairs_sigma0_with_the_width():
    x = np.zeros((1, 5, 5, 1))
    x[0, 2, 2, 0] = 1.0
    out = ops.image.gaussian_blur(x, (5, 5), (0.5, 2.0), data_format="channels_last")[0, ..., 0]
    assert out[2, 0] < out[0, 2]          # narrow along the width, wide along the height
    np.testing.assert_allclose(out.sum(), 1.0)


def test_sobel_golden_on_a_vertical_edge():
    x = np.zeros((1, 3, 4, 1))
    x[0, :, 2:, 0] = 1.0
    edges = ops.image.sobel_edges(x)
    assert edges.shape == (1, 3, 4, 1, 2)
    # middle row, column 1: dx = (1+2+1)*(1 - 0); dy = 0
    assert edges[0, 1, 1, 0].tolist() == [0.0, 4.0]


def test_ssim_identical_images_is_one():
    x = np.random.default_rng(4).uniform(size=(2, 5, 5, 3)).astype("float32")
    out = ops.image.ssim(x, x, filter_size=3)
    np.testing.assert_allclose(out, [1.0, 1.0], rtol=1e-6)
    assert out.shape == (2,) and out.dtype == np.float32
    assert ops.image.ssim(x[0], x[0], filter_size=3).shape == ()


def test_extract_patches_layout_golden():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    patches = ops.image.extract_patches(x, 2)
    assert patches.shape == (1, 2, 2, 4)
    assert patches[0, 0, 1].tolist() == [2.0, 3.0, 6.0, 7.0]
    two = np.stack([x, 100 + x], axis=-1)[..., 0, :]                 # channels innermost
    assert ops.image.extract_patches(two, 2)[0, 0, 0, :4].tolist() == [0, 100, 1, 101]
    assert ops.image.extract_patches(x, 3, strides=2, padding="same").shape == (1, 2, 2, 9)
    assert ops.image.extract_patches_3d(np.zeros((4, 4, 4, 2)), 2).shape == (2, 2, 2, 16)


def test_extract_patches_overlap_adds_gradients():
    with Tape() as tape:
        x = tape.watch(np.ones((1, 3, 3, 1)))
        y = ops.image.extract_patches(x, 2, strides=1)
    grad = tape.gradient(y, np.ones(y.shape), x)[0, ..., 0]
    np.testing.assert_array_equal(grad, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_pad_and_crop_are_inverse():
    x = np.random.default_rng(5).uniform(size=(2, 3, 4, 2))
    padded = ops.image.pad_images(x, 1, 2, 3, 0)
    assert padded.shape == (2, 7, 6, 2)
    np.testing.assert_array_equal(ops.image.crop_images(padded, 1, 2, 3, 0), x)


def test_int_images_pass_no_gradient_and_keep_dtype():
    ints = np.arange(48, dtype="int32").reshape(1, 4, 4, 3)
    for out in (ops.image.pad_images(ints, 1, 1, 1, 1), ops.image.crop_images(ints, 1, 1, 1, 1),
                ops.image.extract_patches(ints, 2), ops.image.resize(ints, (2, 2)),
                ops.image.affine_transform(ints, np.array([1, 0, 0, 0, 1, 0, 0, 0.0]))):
        assert out.dtype == np.int32 and not isinstance(out, Traced)


# ------------------------------------------------------------------------ kind errors
@pytest.mark.parametrize("call, words", [
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (2, 2), interpolation="area"),
     "`interpolation` must be one of"),
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (2,)), "`size` must be (height, width)"),
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (0, 2)), "positive"),
    (lambda: ops.image.resize(np.zeros((4, 4)), (2, 2)), "rank 3"),
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (2, 2), crop_to_aspect_ratio=True,
                              pad_to_aspect_ratio=True), "only one of"),
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (2, 2), fill_mode="reflect"),
     "fill_mode='constant'"),
    (lambda: ops.image.resize(np.zeros((4, 4, 1)), (2, 2), data_format="nhwc"),
     "`data_format` must be"),
    (lambda: ops.image.rgb_to_grayscale(np.zeros((4, 4, 2))), "3 channels (RGB) or 1"),
    (lambda: ops.image.rgb_to_hsv(np.zeros((4, 4, 3), "int32")), "float dtype"),
    (lambda: ops.image.hsv_to_rgb(np.zeros((4, 4, 2))), "3 channels"),
    (lambda: ops.image.affine_transform(np.zeros((4, 4, 1)), np.zeros(6)), "(8,) or (N, 8)"),
    (lambda: ops.image.affine_transform(np.zeros((4, 4, 1)), np.zeros(8), fill_mode="x"),
     "`fill_mode` must be one of"),
    (lambda: ops.image.affine_transform(np.zeros((4, 4, 1)), np.zeros(8),
                                        interpolation="bicubic"), "`interpolation`"),
    (lambda: ops.image.perspective_transform(np.zeros((4, 4, 1)), np.zeros((3, 2)),
                                             np.zeros((3, 2))), "(4, 2) or (N, 4, 2)"),
    (lambda: ops.image.map_coordinates(np.zeros((3, 3)), np.zeros((2, 4)), 3), "`order`"),
    (lambda: ops.image.map_coordinates(np.zeros((3, 3)), np.zeros((3, 4)), 1),
     "one leading entry per axis"),
    (lambda: ops.image.sobel_edges(np.zeros((4, 4, 1))), "rank 4"),
    (lambda: ops.image.ssim(np.zeros((4, 4, 1)), np.zeros((4, 4, 1))), "smaller than the window"),
    (lambda: ops.image.ssim(np.zeros((4, 4, 1)), np.zeros((4, 5, 1)), filter_size=3),
     "same shape"),
    (lambda: ops.image.extract_patches(np.zeros((4, 4, 1)), [2]), "2 (images) or 3"),
    (lambda: ops.image.extract_patches(np.zeros((4, 4, 1)), "2"), "int or a tuple"),
    (lambda: ops.image.extract_patches(np.zeros((4, 4, 1)), 5), "do not fit"),
    (lambda: ops.image.extract_patches(np.zeros((4, 4, 1)), 2, padding="full"), "`padding`"),
    (lambda: ops.image.pad_images(np.zeros((4, 4, 1)), 1, 1), "exactly two of"),
    (lambda: ops.image.pad_images(np.zeros((4, 4, 1)), -1, 0, 0, 0), ">= 0"),
    (lambda: ops.image.pad_images(np.zeros((4, 4, 1)), 1, 0, target_height=3,
                                  target_width=4), "bottom_padding"),
    (lambda: ops.image.crop_images(np.zeros((4, 4, 1)), 3, 0, target_height=2,
                                   target_width=4), "cannot keep"),
    (lambda: ops.image.scale_and_translate(np.zeros((3, 3)), (5, 5), [2.0, 2.0], [0.0, 0.0],
                                           (0, 1), "nearest"), "`method` must be one of"),
    (lambda: ops.image.scale_and_translate(np.zeros((3, 3)), (5, 5), [2.0], [0.0], (0, 1),
                                           "linear"), "one entry per"),
])
def test_kind_errors(call, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert words in message and "ops.image." in message
