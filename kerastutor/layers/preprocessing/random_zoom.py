r"""RandomZoom: enlarge or shrink each image about its centre by a random factor.

.. math::

    z_y \sim U[1 + h_{lo},\, 1 + h_{hi}), \qquad z_x \sim U[1 + w_{lo},\, 1 + w_{hi})
    \quad (z_x = z_y \text{ when } \texttt{width\_factor} \text{ is None}),

drawn per image as Keras draws them: ``keras.random.uniform`` of shape
``(N, 1)`` from the layer's ``SeedGenerator``, :math:`z_y` first, then
:math:`z_x` (no second draw when ``width_factor`` is None); the output pixel
:math:`(r, c)` reads the input at

.. math::

    c' = z_x\,c + \tfrac{W-1}{2}(1 - z_x), \qquad r' = z_y\,r + \tfrac{H-1}{2}(1 - z_y).

A **negative** factor gives :math:`z < 1`: a smaller window of the input is
stretched over the output (**zoom in**); a positive one zooms out. Values
between pixels are interpolated and points outside follow ``fill_mode``
(:class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`, whose
transpose is the backward pass).
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import RandomAffineLayer


def zoom_matrices(zoom_x, zoom_y, height, width):
    """Keras's zoom matrix ``[zx, 0, (W-1)/2 (1-zx), 0, zy, (H-1)/2 (1-zy), 0, 0]``."""
    zeros = np.zeros_like(zoom_x)
    return np.stack([zoom_x, zeros, (width - 1) / 2 * (1 - zoom_x),
                     zeros, zoom_y, (height - 1) / 2 * (1 - zoom_y), zeros, zeros], axis=1)


class RandomZoom(RandomAffineLayer):
    r"""Zooms each image by :math:`z \sim U[1 + lo, 1 + hi)` per axis.

    ``height_factor``/``width_factor``: a number :math:`f` (range
    :math:`[-f, f]`) or a pair, each in :math:`(-1, 1]`. Backward: the
    transpose of the sampling with the drawn zooms.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = self._zoom_range(height_factor, "height_factor")
        self.width_range = None if width_factor is None else \
            self._zoom_range(width_factor, "width_factor")
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _zoom_range(self, factor, name):
        message = (f"RandomZoom: the `height_factor` and `width_factor` arguments should be "
                   f"a number (or a list of two numbers) in the range (-1.0, 1.0]. Received: "
                   f"{name}={factor!r}.")
        pair = isinstance(factor, (tuple, list))
        values = list(factor) if pair else [factor]
        if (pair and len(values) != 2) or not all(
                isinstance(v, (int, float, np.integer, np.floating)) and
                not isinstance(v, bool) and -1.0 < v <= 1.0 for v in values):
            raise ValueError(message)
        if pair:
            return tuple(float(v) for v in sorted(values))
        return (-abs(float(factor)), abs(float(factor)))

    def sample_matrices(self, batch, height, width):
        zoom_y = keras_random.uniform((batch, 1), minval=1.0 + self.height_range[0],
                                      maxval=1.0 + self.height_range[1],
                                      seed=self.generator)[:, 0]
        zoom_x = zoom_y if self.width_range is None else keras_random.uniform(
            (batch, 1), minval=1.0 + self.width_range[0], maxval=1.0 + self.width_range[1],
            seed=self.generator)[:, 0]
        return zoom_matrices(zoom_x, zoom_y, height, width)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor,
                       "width_factor": self.width_factor})
        return config
