r"""EinsumDense: a Dense layer whose contraction is written as an ``einsum`` equation.

``Dense`` multiplies the last axis of its input by a matrix. ``EinsumDense``
lets the equation say which axes meet the kernel and which come out:

==============================  ===============================================
equation                        what it computes
==============================  ===============================================
``"ab,bc->ac"``                 ``Dense`` itself: ``(batch, in) @ (in, out)``
``"abc,cd->abd"``               the same matrix at every step of a sequence
``"...x,xy->...y"``             the same, for any number of leading axes
``"abc,cde->abde"``             one projection per head: multi-head attention's
                                query, key and value layers
==============================  ===============================================

**Forward.** With :math:`\mathcal E` the equation's contraction,

.. math::

    z = \mathcal E(x, W) + b, \qquad y = \phi(z),

where the bias :math:`b` spans the output axes named in ``bias_axes``.

**Backward.** An einsum is linear in each operand, so its gradient with
respect to one operand is the einsum of the upstream gradient with the other
operand, written *towards* the operand's subscripts. With
:math:`\delta = \phi'(z) \odot \partial L/\partial y` and the equation
``"I,K->O"`` (input, kernel, output subscripts):

.. math::

    \frac{\partial L}{\partial W} = \mathcal E_{\,I,O \to K}(x, \delta), \qquad
    \frac{\partial L}{\partial x} = \mathcal E_{\,O,K \to I}(\delta, W), \qquad
    \frac{\partial L}{\partial b} = \textstyle\sum_{\text{axes not in } b} \delta .

For ``"ab,bc->ac"`` these are Dense's :math:`x^\top\delta` and :math:`\delta W^\top`.
An input axis that appears in neither the kernel nor the output (summed away
by the forward) gets the same gradient at every position: the backward einsum
multiplies by a ones array carrying that axis.

**Equations accepted** (Keras's rules): ``"I,K->O"``, ``"...I,K->...O"`` (extra
leading axes) or ``"I...,K->O..."`` (extra trailing axes), where each of
``I``, ``K``, ``O`` is a string of letters; every kernel letter must appear in
the input or the output, every output letter in the input or the kernel.
``output_shape`` gives the output's sizes after the batch axis (and without
the ``...`` axes); ``None`` where the input decides.
"""
import re

import numpy as np

from kerastutor import activations, backend, initializers
from kerastutor.layers.base import (InputSpec, Layer, format_shape, refuse_lora,
                                   weight_settings, weight_settings_config)

# The three equation forms; "..." may stand on the left or on the right of the input.
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


def parse_equation(equation):
    """``(input, kernel, output, ellipsis side)`` of an EinsumDense equation.

    >>> parse_equation("...x,xy->...y")
    ('x', 'xy', 'y', 'left')
    """
    for pattern, side in _FORMS:
        match = pattern.fullmatch(equation)
        if match:
            return match.groups() + (side,)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_equation(equation, bias_axes, input_shape, output_shape):
    """The shapes an equation implies for one input shape, by Keras's rules.

    Returns ``(kernel_shape, bias_shape, full_output_shape, input_axes, output_axes)``;
    ``input_axes``/``output_axes`` are the kernel axes that count as fan-in/fan-out.

    >>> analyze_equation("abc,cd->abd", "d", (None, 32, 128), (None, 64))
    ([128, 64], [64], [None, 32, 64], [0], [1])
    """
    in_spec, kernel_spec, out_spec, side = parse_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)           # axes standing for "..."
    # Sizes of the input's and the output's letters (input: negative indices on the left).
    in_size = {dim: input_shape[i + elided if side == "left" else i]
               for i, dim in enumerate(in_spec)}
    # The full output: batch, then output_shape, with the "..." axes where they stand.
    partial = list(output_shape) if isinstance(output_shape, (list, tuple)) else [output_shape]
    extra = list(input_shape[1:elided] if side == "left" else
                 input_shape[len(input_shape) - elided:]) if elided > 0 else []
    full = [input_shape[0]] + (extra + partial if side == "left" else partial + extra)
    first = max(elided, 0) if side == "left" else 0          # where the output letters start
    position = {dim: first + i for i, dim in enumerate(out_spec)}
    for dim, size in in_size.items():
        if dim not in position:
            continue
        if full[position[dim]] is not None and full[position[dim]] != size:
            raise ValueError(
                f"Input shape and output shape do not match at shared dimension '{dim}'. "
                f"Input shape is {size}, and output shape is {full[position[dim]]}.")
        if full[position[dim]] is None:
            full[position[dim]] = size                       # the input decides
    out_size = {dim: full[i] for dim, i in position.items()}
    for dim in out_spec:
        if dim not in in_spec and dim not in kernel_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{out_spec}' but has no "
                f"corresponding dim in the input spec '{in_spec}' or weight spec "
                f"'{kernel_spec}'.")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(kernel_spec):
        if dim in out_size:
            kernel_shape.append(out_size[dim])
            output_axes.append(i)
        elif dim in in_size:
            kernel_shape.append(in_size[dim])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{in_spec}' or the output spec '{out_spec}'. For this layer, the weight "
                "must be fully specified.")
    return kernel_shape, _bias_shape(bias_axes, out_spec, out_size, side, elided), full, \
        input_axes, output_axes


def _bias_shape(bias_axes, out_spec, out_size, side, elided):
    """From the first bias letter of the output to its end: the letter's size, or 1."""
    if bias_axes is None:
        return None
    for char in bias_axes:
        if char not in out_spec:
            raise ValueError(f"Bias dimension '{char}' was requested, but is not part of the "
                             f"output spec '{out_spec}'.")
    first = min(out_spec.find(char) for char in bias_axes)
    shape = [out_size[char] if char in bias_axes else 1 for char in out_spec[first:]]
    return shape + ([1] * elided if side != "left" and elided > 0 else [])


def einsum_toward(target, target_shape, operands):
    """``np.einsum`` giving an array of subscripts ``target`` (and shape ``target_shape``)
    from ``[(subscripts, array), ...]``.

    A letter of ``target`` that no operand carries (an input axis the forward
    summed away) is supplied by a ones array: the gradient is the same all along it.

    >>> import numpy as np
    >>> delta, kernel = np.ones((2, 4)), np.ones((5, 4))      # forward "abc,cd->ad"
    >>> einsum_toward("abc", (2, 3, 5), [("ad", delta), ("cd", kernel)]).shape
    (2, 3, 5)
    """
    specs = [spec for spec, _ in operands]
    arrays = [array for _, array in operands]
    missing = [i for i, char in enumerate(target) if char not in "".join(specs)]
    if missing:
        specs.append("".join(target[i] for i in missing))
        arrays.append(np.ones_like(arrays[0], shape=[target_shape[i] for i in missing]))
    return np.einsum(",".join(specs) + "->" + target, *arrays)


class EinsumDense(Layer):
    r"""A dense layer whose contraction is an ``einsum`` equation (see the page above).

    .. math::

        z = \mathcal E(x, W) + b, \qquad y = \phi(z);

    .. math::

        \frac{\partial L}{\partial W} = \mathcal E_{I,O\to K}(x, \delta), \qquad
        \frac{\partial L}{\partial x} = \mathcal E_{O,K\to I}(\delta, W), \qquad
        \delta = \phi'(z) \odot \frac{\partial L}{\partial y}.

    Parameters
    ----------
    equation : str
        ``"ab,bc->ac"``, ``"...x,xy->...y"`` or ``"ab...,bc->ac..."`` style.
    output_shape : int or tuple
        Output sizes after the batch axis (without the ``...`` axes); ``None``
        where the input decides (the symbolic shape then takes the input's size,
        where Keras 3.15.1 leaves it ``None``).
    activation : str or callable, optional
        Applied after the bias; none by default.
    bias_axes : str, optional
        Output letters the bias spans (``"c"``); no bias by default.
    kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint
        As in :class:`Dense`. A variance-scaling kernel initializer (the default
        ``"glorot_uniform"``) counts fan-in and fan-out over the kernel axes that
        meet the input and the output, as Keras does.

    Examples
    --------
    >>> import kerastutor as keras
    >>> layer = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(keras.Input(shape=(32, 128))).shape
    (None, 32, 64)
    >>> layer.kernel.shape, layer.bias.shape
    ((128, 64), (64,))
    """

    supports_masking = True

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        refuse_lora(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    gptq_unpacked_column_size=gptq_unpacked_column_size,
                    quantization_config=quantization_config)
        self.equation = equation
        self._specs = parse_equation(equation)          # a bad equation fails here, early
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) \
            else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_settings(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)
        self.has_kinks = getattr(self.activation, "has_kinks", False)
        self.bias = None

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(size is None for size in kernel_shape + (bias_shape or [])):
            raise ValueError(
                f'Layer "{self.name}" (EinsumDense): the kernel of "{self.equation}" would '
                f"have shape {kernel_shape} for input shape {format_shape(input_shape)}. "
                "Give the sizes in `output_shape` (or an input with known sizes).")
        self.kernel = self.add_weight(tuple(kernel_shape),
                                      self._fan_aware(self.kernel_initializer, input_axes,
                                                      output_axes),
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(tuple(bias_shape), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    @staticmethod
    def _fan_aware(initializer, input_axes, output_axes):
        """Keras's fans for an N-d kernel: a variance-scaling initializer without axes gets
        a copy that knows which kernel axes are inputs and which are outputs."""
        if not isinstance(initializer, initializers.VarianceScaling) or (
                initializer.input_axes is not None and initializer.output_axes is not None):
            return initializer
        config = dict(initializer.get_config(), input_axes=input_axes,
                      output_axes=output_axes)
        return type(initializer).from_config(config)

    def forward(self, x, training=False):
        x = backend.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(backend.floatx())
        z = np.einsum(self.equation, x, self.kernel.value)             # z = E(x, W)
        if self.bias is not None:
            z = z + self.bias.value                                     #     + b
        y, act_cache = self.activation.forward(z)                       # y = phi(z)
        return y, (x, act_cache)

    def backward(self, cache, grad_out):
        x, act_cache = cache
        in_spec, kernel_spec, out_spec = self._subscripts(x.ndim)
        delta = self.activation.backward(act_cache, grad_out)          # phi'(z) * g
        kernel = self.kernel.value
        self.kernel.grad += einsum_toward(kernel_spec, kernel.shape,
                                          [(in_spec, x), (out_spec, delta)])
        if self.bias is not None:                                       # sum over the rest
            lead = delta.ndim - self.bias.value.ndim                    # bias aligns at the end
            spread = tuple(lead + i for i, size in enumerate(self.bias.value.shape) if size == 1)
            self.bias.grad += delta.sum(axis=tuple(range(lead)) + spread).reshape(
                self.bias.value.shape)
        return einsum_toward(in_spec, x.shape, [(out_spec, delta), (kernel_spec, kernel)])

    def _subscripts(self, ndim):
        """The equation's three subscripts for an input of rank ``ndim``, with "..." spelled
        out as letters the equation does not use (so every einsum here is explicit)."""
        in_spec, kernel_spec, out_spec, side = self._specs
        unused = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  if c not in in_spec + kernel_spec + out_spec]
        extra = "".join(unused[:max(ndim - len(in_spec), 0)])
        if side == "left":
            return extra + in_spec, kernel_spec, extra + out_spec
        if side == "right":
            return in_spec + extra, kernel_spec, out_spec + extra
        return in_spec, kernel_spec, out_spec

    def compute_output_shape(self, input_shape):
        return tuple(analyze_equation(self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **weight_settings_config(self, ("kernel", "bias")),
            "quantization_config": None,
        })
        return config
