r"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

A transposed convolution (sometimes, wrongly, a "deconvolution") goes the way
a convolution's *gradient* goes: from something shaped like a convolution's
output back to something shaped like its input, with the same connections.
That is not a metaphor, it is the definition used here. Take a convolution
:math:`u \mapsto x` with strides :math:`s`, dilation :math:`d` and kernel
:math:`W`; its input gradient sends each output pixel :math:`x_p` back along
the kernel to every input pixel :math:`s p + d k` it was computed from. The
transposed convolution of :math:`x` is exactly that map.

So the two halves of the conv machinery (``kerastutor/layers/conv_im2col.py``)
swap places:

* **forward** = the conv's backward: multiply every pixel's channels by
  :math:`W^\top` (one matmul, one "patch row" per input pixel), then
  :func:`~kerastutor.layers.conv_im2col.col2im` adds each row back onto the
  output canvas at the window it stands for;
* **backward** = the conv's forward:
  :func:`~kerastutor.layers.conv_im2col.im2col` reads the output gradient in
  windows, and matrix products give :math:`\partial L/\partial x` and
  :math:`\partial L/\partial W`.
"""
from kerastutor.layers.conv_im2col import (col2im, crop, deconv_crop, deconv_output_length,
                                           im2col, pad)
from kerastutor.layers.convolutional import SlidingWindowLayer, _tuple


class BaseConvTranspose(SlidingWindowLayer):
    r"""N-dimensional transposed convolution: the gradient of a convolution w.r.t. its input.

    Each input pixel :math:`p` (``rank`` indices) spreads its channels over a
    window of the output: with kernel offsets :math:`k`, strides :math:`s`
    and dilation :math:`d`, the full (uncropped) result is

    .. math::

        \tilde z_{n,\; s p + d k,\; f} \mathrel{+}= \sum_c x_{n,p,c}\, W_{k,f,c},
        \qquad z = \tilde z[\,a : a + m\,] + b, \qquad y = \phi(z)

    where overlapping windows add up, :math:`a` is the crop of
    :func:`deconv_crop` and :math:`m` the length of
    :func:`deconv_output_length` (positions past the scatter are zeros).
    Compare :class:`~kerastutor.layers.convolutional.BaseConv`'s input
    gradient: it is the same sum with :math:`\delta` in place of :math:`x`.
    As matrices: the rows of :math:`X W^\top` (:math:`X` is ``(n * prod(in),
    cin)``, :math:`W` is ``(prod(kernel_size) * filters, cin)``) are the patches,
    and ``col2im`` lays them on the canvas.

    **Backward** is a plain convolution of the gradient. With
    :math:`\delta = \phi'(z) \odot \partial L/\partial y`, zero-padded back to
    the canvas (:math:`\tilde\delta`), and :math:`P` the im2col patch matrix of
    :math:`\tilde\delta` read at the windows :math:`s p + d k`:

    .. math::

        \frac{\partial L}{\partial x_{n,p,c}} = \sum_{k,f}
            \tilde\delta_{n,\; s p + d k,\; f}\, W_{k,f,c}
            \;\; (= P W), \qquad
        \frac{\partial L}{\partial W} = P^\top X, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,q} \delta_{n,q,f}

    Kernel layout as Keras: ``kernel_size + (filters, cin)`` -- output channels
    *before* input channels, the layout of the convolution it is the
    gradient of; bias ``(filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self._kernel_and_bias_arguments(filters, kernel_initializer, bias_initializer,
                                        kernel_regularizer, bias_regularizer,
                                        kernel_constraint, bias_constraint)
        self._window_arguments(kernel_size, strides, padding, data_format, dilation_rate,
                               activation, use_bias)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = _tuple(output_padding, self.rank, "output_padding", cls,
                                         allow_zero=True)
            if any(a >= s for a, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{cls}: every entry of `output_padding` must be smaller than the "
                    f"matching stride; got output_padding={self.output_padding}, "
                    f"strides={self.strides}. Hint: output_padding picks one of the "
                    "`strides` output lengths that a strided convolution maps to the "
                    "same input length, so it ranges over 0..strides-1.")

    # ------------------------------------------------------------- build
    def build(self, input_shape):
        cin = self._input_channels(input_shape)
        kernel_shape = self.kernel_size + (self.filters, cin)
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self._add_bias(self.filters)
        self._finish_build(input_shape, cin)

    def _output_lengths(self, spatial):
        """:func:`deconv_output_length` along every axis; a kind error if one is 0."""
        paddings = self.output_padding or (None,) * self.rank
        out = tuple(deconv_output_length(n, k, self.padding, a, s, d) for n, k, s, d, a
                    in zip(spatial, self.kernel_size, self.strides, self.dilation_rate,
                           paddings))
        self._check_output_length(
            out, f"spatial shape {tuple(spatial)} and output_padding={self.output_padding}",
            "use a larger output_padding, or padding='valid'.")
        return out

    def _geometry(self, spatial):
        """Per axis: the output length ``m`` and the canvas padding ``(a, rest)``."""
        out = self._output_lengths(spatial)
        paddings = self.output_padding or (None,) * self.rank
        pads, canvas = [], []
        for n, m, k, s, d, a in zip(spatial, out, self.kernel_size, self.strides,
                                    self.dilation_rate, paddings):
            skip = deconv_crop(k, self.padding, a, s, d)
            size = max((n - 1) * s + d * (k - 1) + 1, skip + m)   # the scatter, or more
            pads.append((skip, size - skip - m))
            canvas.append(size)
        return out, pads, tuple(canvas)

    def _kernel_matrix(self):
        """``W`` as ``(prod(kernel_size) * filters, cin)``: rows ordered as im2col's."""
        return self.kernel.value.reshape(-1, self.kernel.shape[-1])

    # ------------------------------------------------------------- forward
    def forward(self, x, training=False):
        x = self._to_channels_last(x)                           # data_format
        n, spatial, cin = x.shape[0], x.shape[1:-1], x.shape[-1]
        out, pads, canvas = self._geometry(spatial)
        rows = x.reshape(-1, cin)                               # X: one row per pixel
        patches = rows @ self._kernel_matrix().T                # X W^T
        full = col2im(patches[None], (n,) + canvas + (self.filters,), self.kernel_size,
                      self.strides, self.dilation_rate, spatial)
        y, act_cache = self._bias_and_activation(crop(full, pads))  # phi(z~[a:a+m] + b)
        return self._from_channels_last(y), (rows, spatial, pads, act_cache)

    # ------------------------------------------------------------ backward
    def _gradient_patches(self, cache, grad_out):
        """``P``: the im2col of delta, padded back to the canvas."""
        rows, spatial, pads, act_cache = cache
        delta = self._delta(act_cache, self._to_channels_last(grad_out))  # delta, and dL/db
        delta = pad(delta, pads)                                # delta~ on the canvas
        patches = im2col(delta, self.kernel_size, self.strides, self.dilation_rate,
                         spatial)[0]
        dw = patches.T @ rows                                   # dL/dW = P^T X
        self.kernel.grad += dw.reshape(self.kernel.shape)
        return patches

    def backward_weights(self, cache, grad_out):
        """dL/dW and dL/db only (the layer reads the data: dL/dx is not needed)."""
        self._gradient_patches(cache, grad_out)

    def backward(self, cache, grad_out):
        rows, spatial = cache[0], cache[1]
        patches = self._gradient_patches(cache, grad_out)
        dx = patches @ self._kernel_matrix()                    # dL/dx = P W
        return self._from_channels_last(dx.reshape((-1,) + tuple(spatial) + (rows.shape[-1],)))

    # --------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape):
        batch, spatial, _ = self._output_spatial(input_shape)
        return self._shape_out(batch, self._output_lengths(spatial), self.filters)

    def get_config(self):
        config = {}
        for key, value in self._window_config({"filters": self.filters}, {},
                                              ("kernel", "bias")).items():
            config[key] = value
            if key == "padding":                       # Keras lists it right here
                config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(BaseConvTranspose):
    r"""1D transposed convolution: ``(batch, steps, channels)`` to ``(batch, new_steps, filters)``.

    .. math::

        \tilde z_{n,\, s t + d k,\, f} \mathrel{+}= \sum_c x_{n,t,c}\, W_{k,f,c},
        \qquad y = \phi(\tilde z[a : a + m] + b)

    **Backward** (:math:`\tilde\delta`: :math:`\phi'(z) \odot \partial L/\partial y`
    zero-padded back to the full scatter):

    .. math::

        \frac{\partial L}{\partial x_{n,t,c}} = \sum_{k,f}
            \tilde\delta_{n,\, s t + d k,\, f}\, W_{k,f,c}, \qquad
        \frac{\partial L}{\partial W_{k,f,c}} = \sum_{n,t}
            \tilde\delta_{n,\, s t + d k,\, f}\, x_{n,t,c}

    Output length: :func:`deconv_output_length` (``valid``, no output
    padding: :math:`n s + \max(k - s, 0)`). Kernel ``(K, filters, cin)``. See
    :class:`BaseConvTranspose`.
    """

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    r"""2D transposed convolution (upsampling with a learned kernel) over images.

    .. math::

        \tilde z_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, f} \mathrel{+}=
            \sum_c x_{n,i,j,c}\, W_{u,v,f,c},
        \qquad y = \phi(\tilde z[a_h : a_h + m_h,\; a_w : a_w + m_w] + b)

    **Backward** (:math:`\tilde\delta`: :math:`\phi'(z) \odot \partial L/\partial y`
    zero-padded back to the full scatter):

    .. math::

        \frac{\partial L}{\partial x_{n,i,j,c}} = \sum_{u,v,f}
            \tilde\delta_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, f}\, W_{u,v,f,c},
        \qquad
        \frac{\partial L}{\partial W_{u,v,f,c}} = \sum_{n,i,j}
            \tilde\delta_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, f}\, x_{n,i,j,c}

    ``Conv2DTranspose(f, 2, strides=2)`` doubles height and width (each pixel
    paints its own 2x2 block); ``kernel_size=3, strides=2, padding="same"``
    doubles them too, with overlapping windows. Kernel ``(K_h, K_w, filters,
    cin)``. See :class:`BaseConvTranspose`.
    """

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    r"""3D transposed convolution over volumes: ``(batch, depth, height, width, channels)``.

    .. math::

        \tilde z_{n,\, s \odot p + d \odot k,\, f} \mathrel{+}=
            \sum_c x_{n,p,c}\, W_{k,f,c},
        \qquad y = \phi(\tilde z[a : a + m] + b)

    **Backward** (:math:`\tilde\delta`: :math:`\phi'(z) \odot \partial L/\partial y`
    zero-padded back to the full scatter):

    .. math::

        \frac{\partial L}{\partial x_{n,p,c}} = \sum_{k,f}
            \tilde\delta_{n,\, s \odot p + d \odot k,\, f}\, W_{k,f,c}, \qquad
        \frac{\partial L}{\partial W_{k,f,c}} = \sum_{n,p}
            \tilde\delta_{n,\, s \odot p + d \odot k,\, f}\, x_{n,p,c}

    Kernel ``(K_d, K_h, K_w, filters, cin)``. See :class:`BaseConvTranspose`.
    """

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
