"""Exercises on convolution and pooling (channels_last, stride 1 / pool 2, 'valid')."""
import numpy as np

from kerastutor import layers
from kerastutor.exercises.grading import Exercise, Mistake, Numerical
from kerastutor.exercises.oracle import gradients, with_weights

TOPIC = "Convolution and pooling"


def _conv(kernel, bias):
    """kerastutor's Conv2D with the learner's kernel and bias (stride 1, 'valid')."""
    kh, kw, c_in, c_out = kernel.shape
    return with_weights(layers.Conv2D(c_out, (kh, kw)), (None, None, None, c_in),
                        kernel=kernel, bias=bias)


def _conv_example():
    rng = np.random.default_rng(4)
    return dict(x=rng.normal(size=(2, 5, 6, 2)).round(1),
                kernel=rng.normal(size=(3, 2, 2, 3)).round(1),
                bias=np.array([0.1, 0.0, -0.2]))


def _conv_draw(draw):
    kh, kw = draw.size(1, 3), draw.size(1, 3)
    n, h, w = draw.size(1, 2), kh + draw.size(0, 3), kw + draw.size(0, 3)
    c_in, c_out = draw.size(1, 3), draw.size(1, 3)
    return dict(x=draw.normal(n, h, w, c_in), kernel=draw.normal(kh, kw, c_in, c_out),
                bias=draw.normal(c_out))


# ------------------------------------------------------------------------ conv forward
def conv2d_forward_solution(x, kernel, bias):
    """kerastutor's Conv2D forward (im2col and one matrix product)."""
    return _conv(kernel, bias).forward(x)[0]


CONV2D_FORWARD = Exercise(
    name="conv2d_forward",
    summary="a 2-D convolution (Keras's cross-correlation), stride 1, 'valid'",
    topic=TOPIC,
    arguments=("x", "kernel", "bias"),
    returns=("y",),
    docstring="""
The forward pass of keras.layers.Conv2D(filters, (kh, kw)): stride 1, padding
'valid', channels_last. Like every deep learning library, Keras computes a
cross-correlation (the kernel is NOT flipped):

    y[n, i, j, f] = bias[f] + sum over a, b, c of
                    x[n, i + a, j + b, c] * kernel[a, b, c, f]

Parameters
    x       (N, H, W, C_in)        images, channels last
    kernel  (kh, kw, C_in, C_out)  the filters
    bias    (C_out,)

Returns y, shape (N, H - kh + 1, W - kw + 1, C_out).
""",
    task=r"""
A 2-D convolution slides a :math:`k_h \times k_w` window over the image and, at
every position, takes the dot product of the window (all input channels) with
each filter. With stride 1 and ``padding="valid"`` the window stays inside the
image, so the output is :math:`H - k_h + 1` by :math:`W - k_w + 1`:

.. math::

    y_{n,i,j,f} = b_f + \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1} \sum_{c}
                  x_{n,\,i+a,\,j+b,\,c}\; K_{a,b,c,f}

The kernel is not flipped: this is a cross-correlation, which is what Keras
(and every deep learning library) calls a convolution. Shapes are channels
last: ``x`` is ``(N, H, W, C_in)``, ``kernel`` ``(kh, kw, C_in, C_out)``,
``bias`` ``(C_out,)``.

A loop over the :math:`k_h k_w` kernel offsets is fine (each step is one
``np.tensordot`` or ``@`` over whole images); the library's version gathers
all windows at once (im2col) and does one matrix product.
""",
    example=_conv_example,
    draw=_conv_draw,
    solution=conv2d_forward_solution,
    library=("kerastutor.layers.Conv2D",),
    hints=(
        "For each kernel offset ``(a, b)``, the slice ``x[:, a:a + H_out, b:b + W_out, :]`` "
        "holds the input every output position sees through that offset; "
        "``slice @ kernel[a, b]`` is ``(N, H_out, W_out, C_out)``. Sum over the offsets.",
        "Do not flip the kernel: ``kernel[::-1, ::-1]`` is the textbook convolution, "
        "not Keras's.",
    ),
    mistakes=(
        Mistake("flipped_kernel", "you flipped the kernel (a mathematician's convolution); "
                                  "Keras computes a cross-correlation: x[i + a, j + b] * "
                                  "kernel[a, b], with no flip.",
                lambda i: {"y": conv2d_forward_solution(i["x"], i["kernel"][::-1, ::-1],
                                                        i["bias"])}),
        Mistake("no_bias", "the bias is missing: add bias[f] to every output of filter f.",
                lambda i: {"y": conv2d_forward_solution(i["x"], i["kernel"],
                                                        np.zeros_like(i["bias"]))}),
    ),
)


# ------------------------------------------------------------------------ conv backward
def conv2d_backward_solution(x, kernel, grad_y):
    """kerastutor's Conv2D backward (col2im for dL/dx, one product for dL/dK)."""
    conv = _conv(kernel, np.zeros(kernel.shape[-1]))
    _, cache = conv.forward(x)
    grad_x = conv.backward(cache, grad_y)
    return (grad_x,) + gradients(conv, "kernel", "bias")


def _conv_backward_case(inputs, rng):
    y = conv2d_forward_solution(inputs["x"], inputs["kernel"], inputs["bias"])
    return dict(x=inputs["x"], kernel=inputs["kernel"],
                grad_y=rng.normal(size=y.shape).round(1), _bias=inputs["bias"])


def _conv_backward_forward(inputs, learner):
    return _conv(inputs["kernel"], inputs["_bias"]).forward(inputs["x"])[0]


CONV2D_BACKWARD = Exercise(
    name="conv2d_backward",
    summary="the gradients of a 2-D convolution: input, kernel, bias",
    topic=TOPIC,
    arguments=("x", "kernel", "grad_y"),
    returns=("grad_x", "grad_kernel", "grad_bias"),
    docstring="""
The backward pass of the convolution of conv2d_forward (stride 1, 'valid',
channels_last, no flip):
    y[n, i, j, f] = bias[f] + sum_{a, b, c} x[n, i + a, j + b, c] * kernel[a, b, c, f]

Parameters
    x       (N, H, W, C_in)
    kernel  (kh, kw, C_in, C_out)
    grad_y  (N, H_out, W_out, C_out)   dL/dy, H_out = H - kh + 1, W_out = W - kw + 1

Returns grad_x, grad_kernel, grad_bias:
    grad_kernel[a, b, c, f] = sum_{n, i, j} x[n, i + a, j + b, c] * grad_y[n, i, j, f]
    grad_x[n, i + a, j + b, c] += sum_f grad_y[n, i, j, f] * kernel[a, b, c, f]
    grad_bias[f] = sum_{n, i, j} grad_y[n, i, j, f]
""",
    task=r"""
Every output of the convolution touched a window of the input, so the
backward pass sends each output's gradient back through the same window:

.. math::

    \frac{\partial L}{\partial K_{a,b,c,f}} = \sum_{n,i,j} x_{n,\,i+a,\,j+b,\,c}\,
        \delta_{n,i,j,f}, \qquad
    \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \delta_{n,i,j,f},

.. math::

    \frac{\partial L}{\partial x_{n,p,q,c}} = \sum_{a,b,f}
        \delta_{n,\,p-a,\,q-b,\,f}\; K_{a,b,c,f}
        \quad (\text{terms with } p-a, q-b \text{ outside the output are } 0)

with :math:`\delta = \partial L/\partial y`. The kernel and the bias are
shared by every position and every sample: their gradients *sum* over all of
them. The input gradient is a "full" correlation of :math:`\delta` with the
flipped kernel -- or, more simply, the forward loop run backwards: for each
kernel offset, add :math:`\delta K_{a,b}^\top` into the window it came from.
""",
    example=lambda: _conv_backward_case(_conv_example(), np.random.default_rng(5)),
    draw=lambda draw: _conv_backward_case(_conv_draw(draw), draw.rng),
    solution=conv2d_backward_solution,
    library=("kerastutor.layers.Conv2D",),
    hints=(
        "Mirror the forward loop: for each offset ``(a, b)`` the window is "
        "``x[:, a:a + H_out, b:b + W_out, :]``. ``grad_kernel[a, b]`` is that window "
        "contracted with ``grad_y`` over ``(n, i, j)``, and "
        "``grad_y @ kernel[a, b].T`` is *added* into the same window of ``grad_x``.",
        "``np.tensordot(window, grad_y, axes=([0, 1, 2], [0, 1, 2]))`` is ``(C_in, C_out)``.",
        "Windows overlap: use ``+=``, never ``=``, when writing into ``grad_x``.",
    ),
    mistakes=(
        Mistake("overwritten_windows", "windows overlap, so every input entry collects the "
                                       "gradient of every window it was in: add into "
                                       "grad_x (+=), do not assign.",
                lambda i: {"grad_x": _assigned_windows(i)}),
    ),
    numerical=Numerical(_conv_backward_forward,
                        {"grad_x": "x", "grad_kernel": "kernel", "grad_bias": "_bias"},
                        "grad_y", "Conv2D.forward"),
)


def _assigned_windows(inputs):
    """The wrong dL/dx that assigns each offset's contribution instead of adding it."""
    x, kernel, grad_y = inputs["x"], inputs["kernel"], inputs["grad_y"]
    grad_x = np.zeros_like(x)
    _, h_out, w_out, _ = grad_y.shape
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            grad_x[:, a:a + h_out, b:b + w_out, :] = grad_y @ kernel[a, b].T
    return grad_x


# ------------------------------------------------------------------------ max pooling
def max_pool_backward_solution(x, grad_y):
    """kerastutor's MaxPooling2D((2, 2)) backward: the gradient goes to each window's max."""
    pool = layers.MaxPooling2D((2, 2))
    _, cache = pool.forward(x)
    return pool.backward(cache, grad_y)


def _pool_case(x, rng):
    y_shape = (x.shape[0], x.shape[1] // 2, x.shape[2] // 2, x.shape[3])
    return dict(x=x, grad_y=rng.normal(size=y_shape).round(1))


def _pool_example():
    rng = np.random.default_rng(6)
    # distinct values, so every window has one maximum
    x = (rng.permutation(2 * 4 * 5 * 2) / 10 - 4).reshape(2, 4, 5, 2)
    return _pool_case(x, rng)


def _pool_draw(draw):
    n, h, w, c = draw.size(1, 2), draw.size(2, 5), draw.size(2, 5), draw.size(1, 3)
    return _pool_case(draw.normal(n, h, w, c), draw.rng)


def _pool_forward(inputs, learner):
    return layers.MaxPooling2D((2, 2)).forward(inputs["x"])[0]


def _spread(inputs, share):
    """A wrong dL/dx that sends each window's gradient to all 4 entries (times ``share``)."""
    x, grad_y = inputs["x"], inputs["grad_y"]
    grad_x = np.zeros_like(x)
    h, w = 2 * grad_y.shape[1], 2 * grad_y.shape[2]
    grad_x[:, :h, :w] = np.repeat(np.repeat(grad_y, 2, axis=1), 2, axis=2) * share
    return grad_x


MAX_POOL_BACKWARD = Exercise(
    name="max_pool_backward",
    summary="the gradient of 2x2 max pooling (stride 2, 'valid')",
    topic=TOPIC,
    arguments=("x", "grad_y"),
    returns=("grad_x",),
    docstring="""
The backward pass of keras.layers.MaxPooling2D((2, 2)): windows of 2x2,
stride 2, padding 'valid', channels_last.

    y[n, i, j, c] = max of x[n, 2i:2i+2, 2j:2j+2, c]

Parameters
    x       (N, H, W, C)            the input (H or W may be odd: 'valid' then
                                     drops the last row/column)
    grad_y  (N, H // 2, W // 2, C)  dL/dy

Returns grad_x, shape (N, H, W, C): each window's grad_y goes to the
position of that window's maximum; every other entry gets 0.
""",
    task=r"""
Max pooling keeps the largest entry of each :math:`2 \times 2` window. The
maximum is a selector: its derivative is 1 for the entry that won and 0 for
the other three, so the whole upstream gradient of a window flows to its
winner:

.. math::

    \frac{\partial L}{\partial x_{n,p,q,c}} =
    \begin{cases}
      \delta_{n,\lfloor p/2 \rfloor,\lfloor q/2 \rfloor,c} &
          \text{if } x_{n,p,q,c} \text{ is the maximum of its window} \\
      0 & \text{otherwise}
    \end{cases}

With ``padding="valid"`` an odd last row or column belongs to no window: its
gradient is 0. The graded inputs have no ties inside a window.
""",
    example=_pool_example,
    draw=_pool_draw,
    solution=max_pool_backward_solution,
    library=("kerastutor.layers.MaxPooling2D",),
    hints=(
        "Crop to ``x[:, :2 * H_out, :2 * W_out]``, then reshape to "
        "``(N, H_out, 2, W_out, 2, C)``: the window's entries sit on axes 2 and 4.",
        "Compare each entry with its window's maximum (``max(axis=(2, 4), keepdims=True)``) "
        "to get the mask of winners.",
        "Odd sizes: the cropped last row/column keeps a gradient of 0.",
    ),
    mistakes=(
        Mistake("average", "you spread the gradient evenly over the window -- that is "
                           "average pooling. Max pooling sends it all to the window's "
                           "maximum.", lambda i: {"grad_x": _spread(i, 0.25)}),
        Mistake("no_mask", "every entry of a window got the window's gradient; only the "
                           "maximum should (the others did not affect y).",
                lambda i: {"grad_x": _spread(i, 1.0)}),
    ),
    numerical=Numerical(_pool_forward, {"grad_x": "x"}, "grad_y", "MaxPooling2D.forward"),
)

EXERCISES = (CONV2D_FORWARD, CONV2D_BACKWARD, MAX_POOL_BACKWARD)
