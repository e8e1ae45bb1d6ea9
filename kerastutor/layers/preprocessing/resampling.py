r"""Resampling an image: the linear maps behind Resizing and the random geometric layers.

Every geometric preprocessing layer computes each output pixel as a weighted
sum of input pixels, with weights that depend only on the *positions*, never
on the pixel values. So for fixed sizes (and fixed sampled parameters) the
layer is a linear map :math:`y = A x (+ c)` and its backward pass is the
transpose, :math:`\partial L/\partial x = A^\top\, \partial L/\partial y`:
each input pixel collects the gradients of the output pixels it fed, scaled
by the same interpolation weights.

Two helpers build those maps:

* :func:`interpolation_matrix` -- the 1-D matrix of a resize (bilinear,
  nearest or bicubic, half-pixel centres, optional antialiasing, exactly as
  Keras 3 computes them on the torch backend). A 2-D resize is separable:
  :math:`Y_c = M_h X_c M_w^\top` for each channel :math:`c`.
* :class:`AffineSampler` -- samples an image at the input coordinates an
  affine matrix assigns to every output pixel (Keras's
  ``ops.image.affine_transform``), with nearest or bilinear weights and the
  fill modes ``reflect``/``wrap``/``nearest``/``constant``.

All arrays here are channels-last batches ``(N, H, W, C)``.
"""
import numpy as np

INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


# ------------------------------------------------------------------ resizing
def _triangle(t):
    """The bilinear (tent) kernel :math:`k(t) = \\max(0, 1 - |t|)`."""
    return np.maximum(0.0, 1.0 - np.abs(t))


def _keys_cubic(t, a):
    r"""Keys' cubic convolution kernel with parameter :math:`a`.

    .. math::

        k(t) = \begin{cases} (a+2)|t|^3 - (a+3)|t|^2 + 1 & |t| \le 1 \\
        a|t|^3 - 5a|t|^2 + 8a|t| - 4a & 1 < |t| < 2 \\ 0 & \text{otherwise}
        \end{cases}
    """
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def interpolation_matrix(n_in, n_out, interpolation="bilinear", antialias=False):
    r"""The ``(n_out, n_in)`` matrix :math:`M` of a 1-D resize: :math:`y = M x`.

    Output pixel :math:`i` sits, in input coordinates, at the half-pixel
    centre :math:`s_i = (i + \tfrac12)\,\frac{n_{in}}{n_{out}} - \tfrac12`
    (torch's ``align_corners=False``, what Keras uses on torch).

    * **bilinear** -- :math:`s_i` is clamped at 0, :math:`i_0 = \lfloor s_i
      \rfloor`, :math:`\lambda = s_i - i_0`:
      :math:`y_i = (1-\lambda)\,x_{i_0} + \lambda\,x_{\min(i_0+1,\, n_{in}-1)}`.
    * **nearest** -- torch's ``nearest-exact``:
      :math:`y_i = x_{\min(\lfloor (i+\frac12) n_{in}/n_{out} \rfloor,\; n_{in}-1)}`.
    * **bicubic** -- the four taps :math:`i_0-1 \ldots i_0+2` (clamped to the
      edge) weighted by Keys' kernel with :math:`a = -0.75` (torch's value;
      TensorFlow uses -0.5, so Keras's bicubic differs by backend).
    * **antialias** (bilinear/bicubic) -- when shrinking by
      :math:`\sigma = n_{in}/n_{out} > 1` the kernel is stretched by
      :math:`\sigma` so every input pixel contributes (a low-pass filter):
      :math:`M_{ij} \propto k\big((j + \frac12 - \sigma(i+\frac12))/\sigma\big)`,
      each row normalised to sum 1 (torch's ``_upsample_*_aa``, bicubic with
      :math:`a=-0.5`).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation_matrix: `interpolation` must be one of "
                         f"{INTERPOLATIONS}, got {interpolation!r}.")
    scale = n_in / n_out
    i = np.arange(n_out, dtype=np.float64)
    rows = np.arange(n_out)
    matrix = np.zeros((n_out, n_in))
    if antialias and interpolation != "nearest":
        return _antialias_matrix(n_in, n_out, interpolation)
    if interpolation == "nearest":
        src = np.minimum(np.floor((i + 0.5) * scale).astype(np.int64), n_in - 1)
        matrix[rows, src] = 1.0
        return matrix
    real = (i + 0.5) * scale - 0.5
    if interpolation == "bilinear":
        real = np.maximum(real, 0.0)
        lower = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
        lam = real - lower
        upper = np.minimum(lower + 1, n_in - 1)
        np.add.at(matrix, (rows, lower), 1.0 - lam)
        np.add.at(matrix, (rows, upper), lam)
        return matrix
    lower = np.floor(real).astype(np.int64)
    t = real - lower
    for k in range(-1, 3):                                   # the four cubic taps
        taps = np.clip(lower + k, 0, n_in - 1)
        np.add.at(matrix, (rows, taps), _keys_cubic(t - k, -0.75))
    return matrix


def _antialias_matrix(n_in, n_out, interpolation):
    """Torch's antialiased resize weights (see :func:`interpolation_matrix`)."""
    scale = n_in / n_out
    half_width = 1.0 if interpolation == "bilinear" else 2.0
    support = half_width * scale if scale >= 1.0 else half_width
    stretch = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    start = np.maximum((center - support + 0.5).astype(np.int64), 0)
    stop = np.minimum((center + support + 0.5).astype(np.int64), n_in)
    j = np.arange(n_in)[None, :]
    inside = (j >= start[:, None]) & (j < stop[:, None])
    t = (j - center[:, None] + 0.5) * stretch
    kernel = _triangle(t) if interpolation == "bilinear" else _keys_cubic(t, -0.5)
    weights = np.where(inside, kernel, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    return weights / np.where(total == 0, 1.0, total)


def resize_images(x, rows, cols):
    r"""Apply row and column matrices: :math:`Y_{n,:,:,c} = M_h X_{n,:,:,c} M_w^\top`."""
    return np.einsum("oh,pw,nhwc->nopc", rows, cols, x, optimize=True)


def resize_images_backward(grad, rows, cols):
    r"""The transpose: :math:`\partial L/\partial X_c = M_h^\top G_c M_w`."""
    return np.einsum("oh,pw,nopc->nhwc", rows, cols, grad, optimize=True)


# ------------------------------------------------------------------ affine sampling
def _reflect_index(index, size):
    """``(d c b a | a b c d | d c b a)``: Keras's index fixer for ``reflect``."""
    period = 2 * size                                 # the mirror of 2i+1 in 2n+1, halved
    return (np.abs((2 * index + 1 + period) % (2 * period) - period) - 1) // 2


def _fix_index(index, size, fill_mode):
    """Map an out-of-range integer index back into ``[0, size)``."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        return _reflect_index(index, size)
    if fill_mode == "mirror":                          # (c d c b | a b c d | c b a b)
        period = max(size - 1, 1)
        return np.abs((index + period) % (2 * period) - period) if size > 1 else 0 * index
    return np.clip(index, 0, size - 1)               # nearest, and constant (masked later)


def _taps_1d(coordinate, interpolation):
    """The (index, weight) pairs of 1-D interpolation at real ``coordinate``."""
    if interpolation == "nearest":
        return [(np.round(coordinate).astype(np.int64), np.ones_like(coordinate))]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    lower = lower.astype(np.int64)
    return [(lower, 1.0 - upper_weight), (lower + 1, upper_weight)]


class AffineSampler:
    r"""Sample images at affinely transformed coordinates, as a fixed linear map.

    An affine matrix ``[a0, a1, a2, b0, b1, b2, 0, 0]`` (Keras's layout) sends
    each *output* pixel :math:`(r, c)` (row, column) to the *input* point

    .. math::

        c' = a_0 c + a_1 r + a_2, \qquad r' = b_0 c + b_1 r + b_2 .

    **Bilinear interpolation** reads the four pixels around :math:`(r', c')`:
    with :math:`r_0 = \lfloor r' \rfloor`, :math:`c_0 = \lfloor c' \rfloor`,
    :math:`\beta = r' - r_0`, :math:`\alpha = c' - c_0`,

    .. math::

        y_{r,c} = (1-\beta)(1-\alpha)\, x_{r_0, c_0} + (1-\beta)\alpha\, x_{r_0, c_0+1}
                + \beta(1-\alpha)\, x_{r_0+1, c_0} + \beta\alpha\, x_{r_0+1, c_0+1};

    **nearest** reads :math:`x_{\mathrm{round}(r'), \mathrm{round}(c')}`
    (round half to even, as torch does). A tap outside the image is brought
    back by ``fill_mode``: ``reflect`` (d c b a | a b c d | d c b a),
    ``wrap`` (a b c d | a b c d), ``nearest`` (a a | a b c d | d d), or for
    ``constant`` replaced by ``fill_value`` (so bilinear blends toward it at
    the border).

    So :math:`y = \sum_k w_k \odot x[\text{index}_k] + c` with at most four
    taps and a constant :math:`c` (the fill). The sampler keeps the taps;
    :meth:`backward` is the transpose: every tap's weighted gradient is
    scattered (added) back to the pixel it read.
    """

    def __init__(self, matrices, input_hw, output_hw=None, interpolation="bilinear",
                 fill_mode="constant", fill_value=0.0):
        matrices = np.asarray(matrices, dtype=np.float64).reshape(-1, 8)
        out_h, out_w = output_hw if output_hw is not None else input_hw
        r, c = np.meshgrid(np.arange(out_h, dtype=np.float64),
                           np.arange(out_w, dtype=np.float64), indexing="ij")
        a0, a1, a2, b0, b1, b2 = (matrices[:, k, None, None] for k in range(6))
        col_in = a0 * c + a1 * r + a2                      # (N, out_h, out_w)
        row_in = b0 * c + b1 * r + b2
        self._build_taps(row_in, col_in, input_hw, interpolation, fill_mode, fill_value)

    @classmethod
    def at_coordinates(cls, row_in, col_in, input_hw, interpolation="bilinear",
                       fill_mode="constant", fill_value=0.0):
        """A sampler reading the input at given real coordinates, ``(N, out_h, out_w)`` each.

        The same taps, weights and transpose as the affine case; only the
        coordinates come from elsewhere (a homography, a displacement field).
        ``fill_mode`` may also be ``"mirror"`` (c d c b | a b c d | c b a b).
        """
        sampler = cls.__new__(cls)
        sampler._build_taps(np.asarray(row_in, dtype=np.float64),
                            np.asarray(col_in, dtype=np.float64), input_hw, interpolation,
                            fill_mode, fill_value)
        return sampler

    def _build_taps(self, row_in, col_in, input_hw, interpolation, fill_mode, fill_value):
        """The (flat index, weight) taps of every output pixel, and the fill constant."""
        height, width = input_hw
        self.batch = row_in.shape[0]
        self.input_hw = (height, width)
        batch = np.arange(self.batch)[:, None, None]
        self.indices, self.weights = [], []
        self.constant = np.zeros_like(row_in)
        for row, row_weight in _taps_1d(row_in, interpolation):
            for col, col_weight in _taps_1d(col_in, interpolation):
                weight = row_weight * col_weight
                if fill_mode == "constant":
                    valid = (row >= 0) & (row < height) & (col >= 0) & (col < width)
                    self.constant += np.where(valid, 0.0, weight * fill_value)
                    weight = np.where(valid, weight, 0.0)
                flat = (batch * height + _fix_index(row, height, fill_mode)) * width + \
                    _fix_index(col, width, fill_mode)
                self.indices.append(flat)
                self.weights.append(weight)

    def forward(self, x):
        """``x`` of shape ``(N, H, W, C)`` -> the sampled ``(N, out_h, out_w, C)``."""
        pixels = x.reshape(-1, x.shape[-1])                # (N*H*W, C)
        y = self.constant[..., None].astype(x.dtype)
        for index, weight in zip(self.indices, self.weights):
            y = y + weight[..., None] * pixels[index]
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        r""":math:`\partial L/\partial x = A^\top g`: scatter-add each tap's share."""
        n, h, w = self.batch, *self.input_hw
        grad_pixels = np.zeros_like(grad, shape=(n * h * w, grad.shape[-1]))
        for index, weight in zip(self.indices, self.weights):
            np.add.at(grad_pixels, index.ravel(),
                      (weight[..., None] * grad).reshape(-1, grad.shape[-1]))
        return grad_pixels.reshape(n, h, w, grad.shape[-1])
