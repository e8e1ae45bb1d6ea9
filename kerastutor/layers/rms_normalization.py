r"""RMSNormalization: divide each sample by its root mean square (Zhang & Sennrich, 2019).

LayerNormalization subtracts the mean and divides by the standard deviation.
RMS normalization skips the mean: it only rescales, by the root mean square
over the normalized axes, then multiplies by a learned ``scale``. Cheaper, and
in large language models (LLaMA, T5) just as good:

.. math::

    r = \frac{1}{\sqrt{\operatorname{mean}_{\text{axis}}(x^2) + \epsilon}}, \qquad
    \hat x = r\,x, \qquad y = \hat x \odot \gamma .
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer, format_shape
from kerastutor.layers.normalization import _check_axis, axis_argument


class RMSNormalization(Layer):
    r"""Root-mean-square normalization over ``axis``, times a learned ``scale``.

    .. math::

        r = \Big(\tfrac{1}{M}\textstyle\sum_{\text{axis}} x^2 + \epsilon\Big)^{-1/2}, \qquad
        \hat x = r\,x, \qquad
        y = \gamma \odot \hat x ,

    with :math:`M` the number of entries normalized together and :math:`\gamma`
    (the weight ``scale``, initialised to ones) spanning the ``axis`` axes.

    **Backward.** With :math:`g = \partial L/\partial y` and :math:`h = \gamma \odot g`,

    .. math::

        \frac{\partial L}{\partial \gamma} = \sum_{\text{batch axes}} g\,\hat x, \qquad
        \frac{\partial L}{\partial x} = r\,\big(h - \hat x\,\operatorname{mean}_{\text{axis}}(h\,\hat x)\big).

    The second term is the path through :math:`r`:
    :math:`\partial r/\partial x = -r^3 x / M`, so moving :math:`x` along itself
    changes the output only through its length.

    As in Keras, ``build`` turns an int ``axis`` into a list (``[-1]``), and so
    does the config. Keras 3.15.1 puts ``scale`` on the trailing axes only;
    here it is placed on the normalized axes wherever they are, which is the
    same for the trailing axes Keras handles.

    Parameters
    ----------
    axis : int or list of int
        The axis (axes) normalized together; ``-1``, the features, by default.
    epsilon : float
        Added to the mean square so an all-zero input gives zeros, not NaN
        (``1e-6``, as Keras).

    Examples
    --------
    >>> import numpy as np
    >>> import kerastutor as keras
    >>> layer = keras.layers.RMSNormalization(epsilon=0.0)
    >>> layer(np.array([[2.0, -2.0], [1.0, 7.0]]))      # root mean squares 2 and 5
    array([[ 1. , -1. ],
           [ 0.2,  1.4]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis_argument("RMSNormalization", axis)
        self.epsilon = float(epsilon)
        self.scale = None

    def build(self, input_shape):
        ndim = len(input_shape)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        axes = sorted(_check_axis(self, a, ndim, input_shape) for a in self.axis)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f'Layer "{self.name}" (RMSNormalization): the normalized axes {axes} must '
                f"have known sizes, got input shape {format_shape(input_shape)}.")
        self.scale = self.add_weight(shape, "ones", name="scale")
        self._axes = tuple(axes)
        self._batch_axes = tuple(i for i in range(ndim) if i not in axes)
        self.built = True

    def _spread(self, w, ndim):
        """``scale`` reshaped to broadcast against the input (its sizes on the normalized axes)."""
        shape = [1] * ndim
        for axis, size in zip(self._axes, w.shape):
            shape[axis] = size
        return w.reshape(shape)

    def forward(self, x, training=False):
        x = backend.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(backend.floatx())
        mean_square = np.mean(x * x, axis=self._axes, keepdims=True)
        r = 1.0 / np.sqrt(mean_square + self.epsilon)                  # r
        x_hat = x * r                                                  # x_hat = r x
        y = x_hat * self._spread(self.scale.value, x.ndim)             # y = gamma x_hat
        return y.astype(x.dtype, copy=False), (x_hat, r)

    def backward(self, cache, grad_out):
        x_hat, r = cache
        g = grad_out
        self.scale.grad += (g * x_hat).sum(axis=self._batch_axes)      # sum g x_hat
        h = g * self._spread(self.scale.value, g.ndim)                 # h = gamma g
        along = np.mean(h * x_hat, axis=self._axes, keepdims=True)     # mean(h x_hat)
        return r * (h - x_hat * along)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
