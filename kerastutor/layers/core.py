"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape.

Each class is one page: the formula in the docstring, then ``build``,
``forward``, ``backward`` and ``get_config``.
"""
import numpy as np

from kerastutor import activations, backend, constraints, initializers, registry, regularizers
from kerastutor import random as keras_random
from kerastutor.layers.base import (InputSpec, KerasTensor, Layer, Node, format_shape,
                                    refuse_lora, weight_settings)


class InputLayer(Layer):
    """The entry point of a functional model: it only holds the input shape.

    ``keras.Input(shape=(784,))`` creates one of these and returns its
    symbolic output tensor, of shape ``(None, 784)``.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None,
                 name=None, sparse=False, ragged=False, optional=False, **kwargs):
        # Keras 2 files spell it batch_input_shape / input_shape.
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if shape is None and "input_shape" in kwargs:
            backend.warn_user("Argument `input_shape` is deprecated. Use `shape` instead: "
                              f"keras.Input(shape={kwargs['input_shape']!r}).")
            shape = kwargs.pop("input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("keras.Input: give `shape` (the shape of ONE sample, "
                                 "without the batch size), e.g. keras.Input(shape=(784,)).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.built = True
        tensor = KerasTensor(self.batch_shape, dtype=self.dtype, history=(self, 0, 0),
                             name=self.name)
        self._inbound_nodes.append(Node(self, [], [tensor]))
        self.output_tensor = tensor

    def forward(self, x, training=False):
        return x, None

    def backward(self, cache, grad_out):
        return grad_out

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name, "optional": False}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """A symbolic input tensor: ``x = keras.Input(shape=(28, 28))``.

    ``shape`` is the shape of one sample; the batch size stays ``None`` so
    any batch size fits.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype,
                       batch_shape=batch_shape, name=name)
    return layer.output_tensor


class Dense(Layer):
    r"""Densely connected layer: every output is a weighted sum of every input.

    .. math::

        z = x W + b, \qquad y = \phi(z)

    with ``x`` of shape ``(..., n_in)``, ``W`` of shape ``(n_in, units)``
    and ``b`` of shape ``(units,)``; the matmul acts on the last axis, so
    any leading axes are batch-like.

    **Backward.** Given :math:`\delta = \partial L/\partial y`, first through
    the activation, :math:`\delta_z = \phi'(z) \odot \delta`, then

    .. math::

        \frac{\partial L}{\partial W} = x^\top \delta_z, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{batch}} \delta_z, \qquad
        \frac{\partial L}{\partial x} = \delta_z W^\top .

    Defaults as Keras: ``kernel_initializer="glorot_uniform"``,
    ``bias_initializer="zeros"``, no activation.
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        refuse_lora(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    quantization_config=quantization_config)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_settings(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.has_kinks = getattr(self.activation, "has_kinks", False)

    def build(self, input_shape):
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(f'Layer "{self.name}": the last axis of the input must be known '
                             f"to build Dense, got input shape {format_shape(input_shape)}.")
        self.kernel = self.add_weight((n_in, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = (self.add_weight((self.units,), self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def forward(self, x, training=False):
        z = x @ self.kernel.value                       # z = x W
        if self.bias is not None:
            z += self.bias.value                        #     + b
        y, act_cache = self.activation.forward(z)       # y = phi(z)
        return y, (x, act_cache)

    def backward(self, cache, grad_out):
        dz = self.backward_weights(cache, grad_out)
        return dz @ self.kernel.value.T                        # dL/dx = delta_z W^T

    def backward_weights(self, cache, grad_out):
        """The weight gradients only; returns delta_z (the model skips dL/dx for data)."""
        x, act_cache = cache
        dz = self.activation.backward(act_cache, grad_out)    # delta_z = phi'(z) * delta
        x2 = x.reshape(-1, x.shape[-1])                        # fold leading axes into batch
        dz2 = dz.reshape(-1, self.units)
        self.kernel.add_matmul_to_grad(x2.T, dz2)              # dL/dW += x^T delta_z
        if self.bias is not None:
            self.bias.grad += dz2.sum(axis=0)                  # dL/db += sum over batch
        return dz

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        })
        return config


class Activation(Layer):
    r"""Applies an activation function elementwise: :math:`y = \phi(x)`.

    Backward: :math:`\partial L/\partial x = \phi'(x) \odot \partial L/\partial y`
    (for softmax, the Jacobian-vector product along its axis).
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.has_kinks = getattr(self.activation, "has_kinks", False)

    def forward(self, x, training=False):
        return self.activation.forward(x)

    def backward(self, cache, grad_out):
        return self.activation.backward(cache, grad_out)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class RandomMaskLayer(Layer):
    r"""What :class:`Dropout` and :class:`~kerastutor.layers.AlphaDropout` share (not a
    Keras class): a ``rate``, a ``noise_shape`` that broadcasts one draw over the axes
    given as 1, a ``seed`` for a private generator, and a backward that multiplies by
    the factor the forward kept in the cache (``None``, at inference: the identity).
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        # Keras's layers own a SeedGenerator (made only when they will draw): each call
        # draws a fresh mask, repeatably, and a seed gives Keras's own masks.
        self.seed_generator = keras_random.SeedGenerator(seed) if rate > 0 else None

    def _mask_shape(self, x):
        if self.noise_shape is None:
            return x.shape
        return tuple(x.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def backward(self, cache, grad_out):
        if cache is None:                               # inference, or rate 0: identity
            return grad_out
        return grad_out * cache                         # cache: dy/dx, entry by entry

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None
                       else list(self.noise_shape)})
        return config


class Dropout(RandomMaskLayer):
    r"""Randomly zeroes a fraction ``rate`` of the inputs while training.

    Keras uses *inverted* dropout: kept values are scaled by
    :math:`1/(1-p)` during training so that inference is the identity.

    .. math::

        m_i \sim \text{Bernoulli}(1-p), \qquad
        y = \frac{m \odot x}{1-p}, \qquad
        \frac{\partial L}{\partial x} = \frac{m}{1-p} \odot \frac{\partial L}{\partial y}

    ``noise_shape`` draws one mask value per position of a smaller shape and
    broadcasts it (``(batch, 1, features)`` drops whole features across time).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: `rate` must be a float between 0 and 1, got {rate!r}.")
        super().__init__(float(rate), noise_shape, seed, **kwargs)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            return x, None
        if self.rate == 1:
            return np.zeros_like(x), np.zeros((1,) * x.ndim, dtype=x.dtype)
        keep = keras_random.keep_mask(self._mask_shape(x), self.rate, self.seed_generator)
        # drawn by NumPy (the same numbers on every device), moved to x's device once
        mask = backend.to_device(keep.astype(x.dtype))  # m, broadcast over noise_shape's 1s
        return (x / (1.0 - self.rate)) * mask, mask     # y = x / (1 - p) * m, as Keras

    def backward(self, cache, grad_out):
        if cache is None:                               # inference, or rate 0: identity
            return grad_out
        if self.rate == 1:                              # everything dropped
            return grad_out * cache
        return (grad_out / (1.0 - self.rate)) * cache   # dL/dx = m / (1 - p) * dL/dy



class Flatten(Layer):
    r"""Flattens every axis but the batch axis: ``(N, d1, d2, ...) -> (N, d1*d2*...)``.

    Row-major (C order), as Keras. Backward reshapes the gradient back:
    :math:`\partial L/\partial x = \mathrm{reshape}(\partial L/\partial y, \text{shape}(x))`.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or backend.image_data_format()

    def forward(self, x, training=False):
        if self.data_format == "channels_first" and x.ndim > 2:
            x = np.moveaxis(x, 1, -1)   # flatten in channels_last order, as Keras does
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, cache, grad_out):
        grad = grad_out.reshape(cache)
        if self.data_format == "channels_first" and grad.ndim > 2:
            grad = np.moveaxis(grad, -1, 1)
        return grad

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    r"""Reshapes each sample to ``target_shape`` (one entry may be ``-1``).

    Backward reshapes the gradient back to the input's shape.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if self.target_shape.count(-1) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {target_shape}.")

    def _resolve(self, sample_shape):
        size = int(np.prod(sample_shape, dtype=np.int64))
        known = int(np.prod([d for d in self.target_shape if d != -1], dtype=np.int64))
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(self._mismatch(sample_shape))
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(self._mismatch(sample_shape))
        return self.target_shape

    def _mismatch(self, sample_shape):
        return (f'Layer "{self.name}": cannot reshape a sample of shape {tuple(sample_shape)} '
                f"({int(np.prod(sample_shape))} values) into target_shape "
                f"{self.target_shape}. The number of values must stay the same.")

    def forward(self, x, training=False):
        target = self._resolve(x.shape[1:])
        return x.reshape((x.shape[0],) + target), x.shape

    def backward(self, cache, grad_out):
        return grad_out.reshape(cache)

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Lambda(Layer):
    r"""Wraps a function as a layer: ``Lambda(lambda x: ops.square(x))``.

    The function runs on the op tape like any ``call``, so it trains as long
    as it computes with :mod:`kerastutor.ops` (its derivative is then the
    chain of the ops' derivatives).

    Parameters
    ----------
    function : callable
        ``function(inputs, **arguments)``.
    output_shape : tuple, optional
        The output shape of one sample; found by running the function on a
        zero batch when not given.
    arguments : dict, optional
        Extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable, got {function!r}.")
        self.function = function
        self.output_shape_arg = None if output_shape is None else tuple(output_shape)
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def backward(self, cache, grad_out):
        """dL/d(inputs): the tape recorded while ``function`` ran, walked in reverse."""
        return self._backward_on_tape(cache, grad_out)

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is not None:
            return (input_shape[0],) + self.output_shape_arg
        return super().compute_output_shape(input_shape)

    def get_config(self):
        name = getattr(self.function, "__name__", "<lambda>")
        config = super().get_config()
        config.update({"function": name, "output_shape": self.output_shape_arg,
                       "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("function")
        if isinstance(name, dict) and name.get("class_name") == "__lambda__":
            raise ValueError(
                "Requested the deserialization of a Lambda layer whose function is a Python "
                "lambda stored as bytecode. kerastutor never executes code from a file, not "
                "even with safe_mode=False. Hint: give the function a name (def f(x): ...), "
                "and pass it at load time: custom_objects={'f': f}.")
        if isinstance(name, dict):                 # Keras's {"class_name": "function", ...}
            name = name.get("config")
        function = registry.get_registered_object(name, custom_objects) if isinstance(name, str) \
            else None
        if function is None:
            raise ValueError(
                f"Lambda layer: cannot rebuild the function {name!r} from a config. "
                "kerastutor never runs code stored in a file; pass the function itself: "
                f"from_config(config, custom_objects={{{name!r}: your_function}}).")
        return cls(function, **config)
