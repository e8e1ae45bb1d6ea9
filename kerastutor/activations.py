r"""Activation functions, each written next to its derivative.

A layer computes an affine map :math:`z = xW + b` and then bends it with an
activation :math:`y = \phi(z)`. Without that bend a stack of layers would
collapse into one affine map.

Every activation here is a small object with two methods:

``forward(x) -> (y, cache)``
    The value :math:`y = \phi(x)`, and whatever the derivative will need
    (often :math:`y` itself: :math:`\sigma' = \sigma(1 - \sigma)`).
``backward(cache, grad_out) -> grad_in``
    The chain rule. For an elementwise :math:`\phi`,

    .. math:: \frac{\partial L}{\partial x} = \phi'(x) \odot \frac{\partial L}{\partial y}.

    Softmax, log-softmax, GLU and sparsemax mix the entries along an axis;
    their ``backward`` is the vector-Jacobian product
    :math:`J^\top g` along that axis, computed without building :math:`J`.

The Keras functions (``keras.activations.relu(x)``, ...) return ``y`` only.
Applied to a value the op tape traces (inside a custom layer's or a loss's
``call``) they are recorded as one op whose derivative is the object's own
``backward`` (:func:`kerastutor.tape.record_activation`). A learner's plain
function -- ``activation=lambda x: x ** 2`` -- becomes a
:class:`CustomActivation`, differentiated by that tape.
``get("relu")`` returns the object that layers use, and ``serialize`` gives
back the bare Keras name (``"relu"``) that layer configs store.

Everything preserves the input's float dtype: float32 stays float32 (the
default), float64 stays float64 (what gradient checks use).
"""
import inspect
import math

import numpy as np

from kerastutor import backend, registry, tape


# ----------------------------------------------------------------- helpers
def _as_float(x):
    """An ndarray of a float dtype: integer and list inputs become ``floatx()``."""
    x = backend.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx())
    return x


def _invalid(owner, argument, expected, value, hint=""):
    """A ValueError that says who complains, about what, and what would work."""
    message = f"{owner}: `{argument}` must be {expected}, got {value!r}."
    return ValueError(message + (f" {hint}" if hint else ""))


def _real(owner, argument, value, minimum=None):
    """``value`` as a float, after checking it is a real number (``>= minimum``)."""
    is_number = isinstance(value, (int, float, np.integer, np.floating))
    if not is_number or isinstance(value, bool) or not math.isfinite(value):
        raise _invalid(owner, argument, "a finite real number", value)
    if minimum is not None and value < minimum:
        raise _invalid(owner, argument, f"a number >= {minimum}", value)
    return float(value)


def _axis(owner, axis):
    """Check that ``axis`` is an integer (negative counts from the end)."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise _invalid(owner, "axis", "an integer such as -1 (the last axis)", axis)
    return int(axis)


def _sigmoid(x):
    r"""The logistic function :math:`1/(1 + e^{-x})`.

    For very negative ``x`` (below about -88 in float32) :math:`e^{-x}`
    overflows to ``inf``, and :math:`1/(1 + \infty) = 0` is then exactly the
    right limit; only that harmless overflow warning is silenced.
    """
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _erf(x):
    """Elementwise error function, in ``x``'s dtype.

    SciPy comes with scikit-learn (a kerastutor dependency); importing it
    lazily keeps ``import kerastutor`` fast for models without GELU.
    """
    from scipy.special import erf
    return erf(x)


# ------------------------------------------------------------- the base class
class ActivationFunction:
    r"""Base class of all activations: a ``forward``/``backward`` pair and a Keras name.

    Subclasses set ``name`` (the Keras string) and implement

    * ``forward(x) -> (y, cache)`` with :math:`y = \phi(x)`;
    * ``backward(cache, grad_out) -> grad_in``, the product
      :math:`\phi'(x) \odot g` (a vector-Jacobian product in general).

    ``backward`` must not modify ``cache`` or ``grad_out``: a layer may be
    asked for its gradient more than once.

    Attributes
    ----------
    name : str
        The Keras name, e.g. ``"relu"``.
    has_kinks : bool
        True when :math:`\phi` is defined piecewise, so that its derivative
        (or the derivative's slope) jumps at some points. Central differences
        straddling such a point are inaccurate, so gradient checks use a
        looser threshold.
    """

    name = "activation"
    has_kinks = False

    def forward(self, x):
        raise NotImplementedError(
            f"{type(self).__name__}.forward(x) is missing: it must return (y, cache).")

    def backward(self, cache, grad_out):
        raise NotImplementedError(
            f"{type(self).__name__}.backward(cache, grad_out) is missing: kerastutor has no "
            "autograd, so every activation writes out its own derivative.")

    def __call__(self, x):
        """Apply the activation and return only ``y`` (lists and ints become floats).

        Inside code that runs on the op tape (a custom layer's ``call``, a
        loss's ``call``), ``x`` is a traced value: the activation is then
        recorded as one op whose derivative is this object's own
        ``backward`` (:func:`kerastutor.tape.record_activation`).
        """
        if tape.is_traced(x):
            return tape.record_activation(self, x)
        x = _as_float(x)
        # forward() works on real arrays (NumPy turns 0-d results into scalars):
        # a 0-d input is lifted to shape (1,) and the result put back to shape ().
        y = self.forward(np.atleast_1d(x))[0]
        return y.reshape(x.shape) if x.ndim == 0 else y

    def get_config(self):
        """The constructor arguments, as a dict (``{}`` for parameter-free activations)."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


# ------------------------------------------------- identity and exponential
class Linear(ActivationFunction):
    r"""The identity, what ``activation=None`` means.

    .. math:: \phi(x) = x, \qquad \phi'(x) = 1
    """

    name = "linear"

    def forward(self, x):
        return x, None

    def backward(self, cache, grad_out):
        return grad_out


class Exponential(ActivationFunction):
    r"""The exponential, its own derivative.

    .. math:: \phi(x) = e^x, \qquad \phi'(x) = e^x = \phi(x)
    """

    name = "exponential"

    def forward(self, x):
        y = np.exp(x)
        return y, y

    def backward(self, cache, grad_out):
        return grad_out * cache


# ---------------------------------------------------------- the ReLU family
class ReLU(ActivationFunction):
    r"""Rectified linear unit, with Keras's three options.

    .. math::

        \phi(x) = \operatorname{clip}\big(x\,[x > \theta],\ 0,\ m\big)
                  + \alpha \min(x - \theta,\ 0)

        \phi'(x) = [x > \theta]\,[0 < x < m] + \alpha\,[x < \theta]

    where :math:`[\cdot]` is 1 when the condition holds and 0 otherwise, and
    the clip (and the factor :math:`[0 < x < m]`) applies only when
    ``max_value`` :math:`m` is given. With the defaults
    (``negative_slope`` :math:`\alpha = 0`, no ``max_value``,
    ``threshold`` :math:`\theta = 0`) this is :math:`\max(x, 0)` with
    derivative :math:`[x > 0]`.

    Parameters
    ----------
    negative_slope : float
        Slope :math:`\alpha` below the threshold.
    max_value : float or None
        Saturation value :math:`m` (``None``: no cap).
    threshold : float
        Inputs at or below :math:`\theta` are damped (to :math:`\alpha(x - \theta)`).
    """

    name = "relu"
    has_kinks = True

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        owner = type(self).__name__
        self.negative_slope = _real(owner, "negative_slope", negative_slope)
        self.max_value = (None if max_value is None
                          else _real(owner, "max_value", max_value, minimum=0))
        self.threshold = _real(owner, "threshold", threshold)

    @property
    def _plain(self):
        """True for the default options, where ReLU is simply max(x, 0)."""
        return self.negative_slope == 0 and self.max_value is None and self.threshold == 0

    def forward(self, x):
        if self._plain:                        # the common case: one pass over memory
            y = np.maximum(x, 0)
            return y, y                        # y > 0 exactly where x > 0
        y = np.maximum(x, 0) if self.threshold == 0 else x * (x > self.threshold)
        if self.max_value is not None:
            y = np.clip(y, 0, self.max_value)
        if self.negative_slope != 0:
            y = y + self.negative_slope * np.minimum(x - self.threshold, 0)
        return y, x

    def backward(self, cache, grad_out):
        if self._plain:
            return np.multiply(grad_out, cache > 0)
        x = cache
        passes = x > self.threshold
        if self.max_value is not None:
            passes = passes & (x > 0) & (x < self.max_value)
        grad_in = grad_out * passes
        if self.negative_slope != 0:
            grad_in = grad_in + self.negative_slope * grad_out * (x < self.threshold)
        return grad_in

    def get_config(self):
        return {"negative_slope": self.negative_slope, "max_value": self.max_value,
                "threshold": self.threshold}


class LeakyReLU(ReLU):
    r"""ReLU that lets a little gradient through for negative inputs.

    .. math::

        \phi(x) = \begin{cases} x & x \ge 0 \\ \alpha x & x < 0 \end{cases}
        \qquad
        \phi'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}

    Keras's *function* default is :math:`\alpha = 0.2` (the ``LeakyReLU``
    *layer* uses 0.3).
    """

    name = "leaky_relu"

    def __init__(self, negative_slope=0.2):
        super().__init__(negative_slope=negative_slope)

    def get_config(self):
        return {"negative_slope": self.negative_slope}


class ReLU6(ReLU):
    r"""ReLU capped at 6 (used by MobileNets).

    .. math::

        \phi(x) = \min(\max(x, 0), 6), \qquad \phi'(x) = [0 < x < 6]
    """

    name = "relu6"

    def __init__(self):
        super().__init__(max_value=6.0)

    def get_config(self):
        return {}


class Threshold(ActivationFunction):
    r"""Keep values above a threshold, replace the rest by a constant.

    .. math::

        \phi(x) = \begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}
        \qquad \phi'(x) = [x > \theta]

    Both ``threshold`` :math:`\theta` and ``default_value`` :math:`v` are
    required, as in Keras.
    """

    name = "threshold"
    has_kinks = True

    def __init__(self, threshold, default_value):
        self.threshold = _real("Threshold", "threshold", threshold)
        self.default_value = _real("Threshold", "default_value", default_value)

    def forward(self, x):
        keep = x > self.threshold
        y = np.where(keep, x, x.dtype.type(self.default_value))
        return y, keep

    def backward(self, cache, grad_out):
        return np.multiply(grad_out, cache)

    def get_config(self):
        return {"threshold": self.threshold, "default_value": self.default_value}


# --------------------------------------------------- sigmoid and its cousins
class Sigmoid(ActivationFunction):
    r"""The logistic function, squashing any number into :math:`(0, 1)`.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    The derivative needs only :math:`y = \sigma(x)`, so that is the cache.
    """

    name = "sigmoid"

    def forward(self, x):
        y = _sigmoid(x)
        return y, y

    def backward(self, cache, grad_out):
        y = cache
        return grad_out * y * (1 - y)


class HardSigmoid(ActivationFunction):
    r"""A piecewise-linear sigmoid (Keras 3: :math:`\mathrm{relu6}(x + 3)/6`).

    .. math::

        \phi(x) = \frac{\min(\max(x + 3, 0), 6)}{6}, \qquad
        \phi'(x) = \tfrac16\,[-3 < x < 3]

    Keras 2 used :math:`\max(0, \min(1, 0.2x + 0.5))`; Keras 3 changed it.
    """

    name = "hard_sigmoid"
    has_kinks = True

    def forward(self, x):
        return np.clip(x / 6 + 0.5, 0, 1), x

    def backward(self, cache, grad_out):
        x = cache
        inside = (x > -3) & (x < 3)
        return grad_out * inside / 6


class SparseSigmoid(ActivationFunction):
    r"""A sigmoid that is exactly 0 or 1 outside :math:`[-1, 1]`.

    .. math::

        \phi(x) = \operatorname{clip}\Big(\frac{x + 1}{2},\ 0,\ 1\Big), \qquad
        \phi'(x) = \tfrac12\,[-1 < x < 1]
    """

    name = "sparse_sigmoid"
    has_kinks = True

    def forward(self, x):
        return np.clip((x + 1) / 2, 0, 1), x

    def backward(self, cache, grad_out):
        return grad_out * (np.abs(cache) < 1) / 2


class LogSigmoid(ActivationFunction):
    r"""The log of the sigmoid, computed without ever forming :math:`\sigma(x)`.

    .. math::

        \phi(x) = \log \sigma(x) = -\log(1 + e^{-x}), \qquad
        \phi'(x) = 1 - \sigma(x) = \sigma(-x)
    """

    name = "log_sigmoid"

    def forward(self, x):
        return -np.logaddexp(0, -x), x           # log(1 + e^{-x}), overflow-free

    def backward(self, cache, grad_out):
        return grad_out * _sigmoid(-cache)


class Tanh(ActivationFunction):
    r"""Hyperbolic tangent, a sigmoid stretched to :math:`(-1, 1)`.

    .. math::

        \tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad
        \tanh'(x) = 1 - \tanh^2 x
    """

    name = "tanh"

    def forward(self, x):
        y = np.tanh(x)
        return y, y

    def backward(self, cache, grad_out):
        y = cache
        return grad_out * (1 - y * y)


class HardTanh(ActivationFunction):
    r"""Tanh replaced by its piecewise-linear outline.

    .. math::

        \phi(x) = \operatorname{clip}(x, -1, 1), \qquad \phi'(x) = [-1 < x < 1]
    """

    name = "hard_tanh"
    has_kinks = True

    def forward(self, x):
        return np.clip(x, -1, 1), x

    def backward(self, cache, grad_out):
        return np.multiply(grad_out, np.abs(cache) < 1)


class TanhShrink(ActivationFunction):
    r"""What tanh leaves out of the identity.

    .. math::

        \phi(x) = x - \tanh x, \qquad \phi'(x) = \tanh^2 x
    """

    name = "tanh_shrink"

    def forward(self, x):
        t = np.tanh(x)
        return x - t, t

    def backward(self, cache, grad_out):
        t = cache
        return grad_out * t * t


class Softsign(ActivationFunction):
    r"""A sigmoid-shaped curve with polynomial, not exponential, tails.

    .. math::

        \phi(x) = \frac{x}{1 + |x|}, \qquad \phi'(x) = \frac{1}{(1 + |x|)^2}

    (:math:`|x|` makes the second derivative jump at 0, hence ``has_kinks``.)
    """

    name = "softsign"
    has_kinks = True

    def forward(self, x):
        denominator = 1 + np.abs(x)
        return x / denominator, denominator

    def backward(self, cache, grad_out):
        denominator = cache
        return grad_out / (denominator * denominator)


# ------------------------------------------------------- smooth ReLU cousins
class Softplus(ActivationFunction):
    r"""A smooth ReLU.

    .. math::

        \phi(x) = \log(1 + e^x), \qquad \phi'(x) = \sigma(x)

    ``np.logaddexp(x, 0)`` evaluates :math:`\log(e^x + e^0)` without
    overflowing for large :math:`x`.
    """

    name = "softplus"

    def forward(self, x):
        return np.logaddexp(x, 0), x

    def backward(self, cache, grad_out):
        return grad_out * _sigmoid(cache)


class Squareplus(ActivationFunction):
    r"""A smooth ReLU built from a square root instead of exp and log.

    .. math::

        \phi(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
        \phi'(x) = \frac12\Big(1 + \frac{x}{\sqrt{x^2 + b}}\Big)

    ``b`` (default 4) sets the curvature at 0; :math:`b = 0` is ReLU.
    """

    name = "squareplus"

    def __init__(self, b=4):
        self.b = _real("Squareplus", "b", b, minimum=0)
        self.has_kinks = self.b == 0

    def forward(self, x):
        root = np.sqrt(x * x + self.b)
        return (x + root) / 2, (x, root)

    def backward(self, cache, grad_out):
        x, root = cache
        with np.errstate(invalid="ignore"):        # 0/0 at x = 0 only when b = 0
            slope = (1 + x / root) / 2
        return grad_out * slope

    def get_config(self):
        return {"b": self.b}


class SparsePlus(ActivationFunction):
    r"""Softplus made exactly 0 below -1 and exactly :math:`x` above 1.

    .. math::

        \phi(x) = \begin{cases} 0 & x \le -1 \\ \tfrac14 (x + 1)^2 & -1 < x < 1 \\
                                x & x \ge 1 \end{cases}
        \qquad
        \phi'(x) = \operatorname{clip}\Big(\frac{x + 1}{2},\ 0,\ 1\Big)
    """

    name = "sparse_plus"
    has_kinks = True

    def forward(self, x):
        middle = (x + 1) ** 2 / 4
        y = np.where(x <= -1, 0, np.where(x >= 1, x, middle))
        return y.astype(x.dtype, copy=False), x

    def backward(self, cache, grad_out):
        slope = np.clip((cache + 1) / 2, 0, 1)
        return grad_out * slope


class ELU(ActivationFunction):
    r"""Exponential linear unit: ReLU with a smooth, saturating negative side.

    .. math::

        \phi(x) = \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}
        \qquad
        \phi'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0 \end{cases}

    ``expm1`` computes :math:`e^x - 1` accurately near 0, and only ever sees
    :math:`\min(x, 0)`, so it cannot overflow.
    """

    name = "elu"
    has_kinks = True

    def __init__(self, alpha=1.0):
        self.alpha = _real(type(self).__name__, "alpha", alpha)

    def forward(self, x):
        negative_part = self.alpha * np.expm1(np.minimum(x, 0))
        return np.where(x > 0, x, negative_part), x

    def backward(self, cache, grad_out):
        x = cache
        negative_slope = self.alpha * np.exp(np.minimum(x, 0))
        return np.where(x > 0, grad_out, grad_out * negative_slope)

    def get_config(self):
        return {"alpha": self.alpha}


class SELU(ELU):
    r"""Scaled ELU, whose constants keep activations at zero mean and unit variance.

    .. math::

        \phi(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}
        \qquad
        \phi'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0 \end{cases}

    with :math:`\alpha \approx 1.6732632` and :math:`\lambda \approx 1.0507010`
    (Klambauer et al., 2017). Pair it with ``lecun_normal`` initialization.
    """

    name = "selu"
    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(alpha=self.ALPHA)

    def forward(self, x):
        y, cache = super().forward(x)
        return self.SCALE * y, cache

    def backward(self, cache, grad_out):
        return self.SCALE * super().backward(cache, grad_out)

    def get_config(self):
        return {}


class CELU(ActivationFunction):
    r"""Continuously differentiable ELU: the negative side is rescaled by :math:`\alpha`.

    .. math::

        \phi(x) = \begin{cases} x & x \ge 0 \\ \alpha (e^{x/\alpha} - 1) & x < 0 \end{cases}
        \qquad
        \phi'(x) = \begin{cases} 1 & x \ge 0 \\ e^{x/\alpha} & x < 0 \end{cases}
    """

    name = "celu"
    has_kinks = True

    def __init__(self, alpha=1.0):
        self.alpha = _real("CELU", "alpha", alpha)
        if self.alpha == 0:
            raise _invalid("CELU", "alpha", "a non-zero number", alpha,
                           "CELU divides by alpha; the usual value is 1.0.")

    def forward(self, x):
        exp_part = np.exp(np.minimum(x, 0) / self.alpha)
        negative_part = self.alpha * (exp_part - 1)
        return np.where(x >= 0, x, negative_part), (x, exp_part)

    def backward(self, cache, grad_out):
        x, exp_part = cache
        return np.where(x >= 0, grad_out, grad_out * exp_part)

    def get_config(self):
        return {"alpha": self.alpha}


class GELU(ActivationFunction):
    r"""Gaussian error linear unit: :math:`x` weighted by how likely a normal draw is below it.

    Exact form (Keras's default, ``approximate=False``), with :math:`\Phi` the
    standard normal CDF and :math:`\varphi` its density:

    .. math::

        \phi(x) = x\,\Phi(x) = \frac{x}{2}\Big(1 + \operatorname{erf}\frac{x}{\sqrt 2}\Big),
        \qquad
        \phi'(x) = \Phi(x) + x\,\varphi(x), \quad \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}

    Tanh form (``approximate=True``), with
    :math:`u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)`:

    .. math::

        \phi(x) = \frac{x}{2}(1 + \tanh u), \qquad
        \phi'(x) = \frac12(1 + \tanh u)
                   + \frac{x}{2}(1 - \tanh^2 u)\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)
    """

    name = "gelu"
    SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
    CUBIC = 0.044715

    def __init__(self, approximate=False):
        if not isinstance(approximate, (bool, np.bool_)):
            raise _invalid("GELU", "approximate", "True or False", approximate,
                           "False (the default) is the exact erf form.")
        self.approximate = bool(approximate)

    def forward(self, x):
        if self.approximate:
            t = np.tanh(self.SQRT_2_OVER_PI * (x + self.CUBIC * x ** 3))
            return x * (1 + t) / 2, (x, t)
        cdf = (1 + _erf(x / math.sqrt(2))) / 2
        return x * cdf, (x, cdf)

    def backward(self, cache, grad_out):
        if self.approximate:
            x, t = cache
            du_dx = self.SQRT_2_OVER_PI * (1 + 3 * self.CUBIC * x * x)
            slope = (1 + t) / 2 + x / 2 * (1 - t * t) * du_dx
            return grad_out * slope
        x, cdf = cache
        pdf = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        return grad_out * (cdf + x * pdf)

    def get_config(self):
        return {"approximate": self.approximate}


class SiLU(ActivationFunction):
    r"""Sigmoid-weighted linear unit, also called swish.

    .. math::

        \phi(x) = x\,\sigma(x), \qquad
        \phi'(x) = \sigma(x) + x\,\sigma(x)(1 - \sigma(x))
                 = \sigma(x)\big(1 + x(1 - \sigma(x))\big)
    """

    name = "silu"

    def forward(self, x):
        s = _sigmoid(x)
        return x * s, (x, s)

    def backward(self, cache, grad_out):
        x, s = cache
        return grad_out * s * (1 + x * (1 - s))


class HardSiLU(ActivationFunction):
    r"""Hard swish: :math:`x` times the hard sigmoid.

    .. math::

        \phi(x) = x\,\frac{\min(\max(x + 3, 0), 6)}{6}, \qquad
        \phi'(x) = \begin{cases} 0 & x < -3 \\ (2x + 3)/6 & -3 < x < 3 \\
                                 1 & x > 3 \end{cases}
    """

    name = "hard_silu"
    has_kinks = True

    def forward(self, x):
        gate = np.clip(x + 3, 0, 6) / 6
        return x * gate, x

    def backward(self, cache, grad_out):
        x = cache
        slope = np.where(x <= -3, 0, np.where(x >= 3, 1, (2 * x + 3) / 6))
        return grad_out * slope


class Mish(ActivationFunction):
    r"""Mish: :math:`x` gated by the tanh of the softplus.

    With :math:`t = \tanh(\operatorname{softplus}(x))` and
    :math:`\operatorname{softplus}'(x) = \sigma(x)`:

    .. math::

        \phi(x) = x\,t, \qquad \phi'(x) = t + x\,(1 - t^2)\,\sigma(x)
    """

    name = "mish"

    def forward(self, x):
        t = np.tanh(np.logaddexp(x, 0))
        return x * t, (x, t)

    def backward(self, cache, grad_out):
        x, t = cache
        return grad_out * (t + x * (1 - t * t) * _sigmoid(x))


# ----------------------------------------------------------- shrink functions
class SoftShrink(ActivationFunction):
    r"""Move every value towards 0 by :math:`\lambda`, stopping at 0.

    .. math::

        \phi(x) = \operatorname{sign}(x)\max(|x| - \lambda, 0), \qquad
        \phi'(x) = [|x| > \lambda]
    """

    name = "soft_shrink"
    has_kinks = True

    def __init__(self, threshold=0.5):
        self.threshold = _real("SoftShrink", "threshold", threshold, minimum=0)

    def forward(self, x):
        magnitude = np.maximum(np.abs(x) - self.threshold, 0)
        return np.copysign(magnitude, x), x

    def backward(self, cache, grad_out):
        return np.multiply(grad_out, np.abs(cache) > self.threshold)

    def get_config(self):
        return {"threshold": self.threshold}


class HardShrink(ActivationFunction):
    r"""Zero out the values whose magnitude is at most :math:`\lambda`.

    .. math::

        \phi(x) = x\,[|x| > \lambda], \qquad \phi'(x) = [|x| > \lambda]
    """

    name = "hard_shrink"
    has_kinks = True

    def __init__(self, threshold=0.5):
        self.threshold = _real("HardShrink", "threshold", threshold, minimum=0)

    def forward(self, x):
        keep = np.abs(x) > self.threshold
        return x * keep, keep

    def backward(self, cache, grad_out):
        return np.multiply(grad_out, cache)

    def get_config(self):
        return {"threshold": self.threshold}


# ------------------------------------------------- functions along an axis
class Softmax(ActivationFunction):
    r"""Softmax along ``axis``: scores in, probabilities out.

    .. math::

        s_i = \frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}, \qquad
        \frac{\partial s_i}{\partial x_k} = s_i(\delta_{ik} - s_k)

    so the backward pass (a vector-Jacobian product) is

    .. math:: \frac{\partial L}{\partial x_k} = s_k\Big(g_k - \sum_i g_i s_i\Big).

    Subtracting :math:`\max_j x_j` changes nothing mathematically and keeps
    ``exp`` from overflowing.
    """

    name = "softmax"

    def __init__(self, axis=-1):
        self.axis = _axis("Softmax", axis)

    def forward(self, x):
        if -x.ndim <= self.axis < x.ndim and x.shape[self.axis] == 1:
            _warn_softmax_of_one(self.axis, x.shape)
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        s = e / e.sum(axis=self.axis, keepdims=True)
        return s, s

    def backward(self, cache, grad_out):
        s = cache
        return s * (grad_out - np.sum(grad_out * s, axis=self.axis, keepdims=True))

    def get_config(self):
        return {"axis": self.axis}


def _warn_softmax_of_one(axis, shape):
    """Keras's warning for a softmax over one entry: :math:`e^{x}/e^{x} = 1`, always.

    The usual cause is a two-class model written ``Dense(1, activation="softmax")``:
    its output is 1 whatever the input, so its gradient is 0 and nothing trains.
    """
    backend.warn_user(
        f"You are using a softmax over axis {axis} of a tensor of shape {tuple(shape)}. This "
        "axis has size 1. The softmax operation will always return the value 1, which is "
        "likely not what you intended. Did you mean to use a sigmoid instead? Fix: for two "
        "classes use Dense(1, activation='sigmoid') with loss='binary_crossentropy', or "
        "Dense(2, activation='softmax') with loss='sparse_categorical_crossentropy'.")


class LogSoftmax(ActivationFunction):
    r"""The log of the softmax, computed in one stable step.

    .. math::

        y_i = x_i - \max_j x_j - \log \sum_k e^{x_k - \max_j x_j}, \qquad
        \frac{\partial L}{\partial x_k} = g_k - s_k \sum_i g_i

    with :math:`s = e^{y}` the softmax.
    """

    name = "log_softmax"

    def __init__(self, axis=-1):
        self.axis = _axis("LogSoftmax", axis)

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return y, y

    def backward(self, cache, grad_out):
        softmax = np.exp(cache)
        return grad_out - softmax * grad_out.sum(axis=self.axis, keepdims=True)

    def get_config(self):
        return {"axis": self.axis}


class GLU(ActivationFunction):
    r"""Gated linear unit: one half of the input, gated by the sigmoid of the other half.

    Splitting :math:`x = [a, b]` in two along ``axis`` (the output is half as
    long there):

    .. math::

        y = a \odot \sigma(b), \qquad
        \frac{\partial L}{\partial a} = g \odot \sigma(b), \qquad
        \frac{\partial L}{\partial b} = g \odot a \odot \sigma(b)(1 - \sigma(b))
    """

    name = "glu"

    def __init__(self, axis=-1):
        self.axis = _axis("GLU", axis)

    def forward(self, x):
        if x.shape[self.axis] % 2:
            raise ValueError(
                f"GLU: the input's axis {self.axis} must have an even length to split into "
                f"value and gate halves, got shape {x.shape}. Hint: give the layer before "
                "GLU twice the units you want out.")
        a, b = np.split(x, 2, axis=self.axis)
        gate = _sigmoid(b)
        return a * gate, (a, gate)

    def backward(self, cache, grad_out):
        a, gate = cache
        grad_a = grad_out * gate
        grad_b = grad_a * a * (1 - gate)
        return np.concatenate([grad_a, grad_b], axis=self.axis)

    def get_config(self):
        return {"axis": self.axis}


class Sparsemax(ActivationFunction):
    r"""Like softmax, but projects onto the probability simplex, so many outputs are exactly 0.

    .. math::

        y_i = \max(x_i - \tau, 0), \qquad \sum_i y_i = 1

    where :math:`\tau` is found by sorting: with :math:`z` the inputs in
    decreasing order, the support size is the largest :math:`k` with
    :math:`1 + k z_k > \sum_{j \le k} z_j`, and
    :math:`\tau = (\sum_{j \le k} z_j - 1)/k` (Martins & Astudillo, 2016).
    On the support :math:`S = \{i : y_i > 0\}` the Jacobian is
    :math:`I - \mathbf 1\mathbf 1^\top/|S|`, so

    .. math::

        \frac{\partial L}{\partial x_i} = [i \in S]\Big(g_i - \frac{1}{|S|}\sum_{j \in S} g_j\Big).

    *Where Keras 3.15.1 is wrong:* for :math:`x = (1, 0.8, -1)` Keras returns
    :math:`(0.1, 0, 0)`, which does not even sum to 1. The projection above gives
    :math:`(0.6, 0.4, 0)` (support :math:`\{1, 2\}`, :math:`\tau = 0.4`); the
    tests check it against a bisection for :math:`\tau` and pin Keras's value.
    """

    name = "sparsemax"
    has_kinks = True

    def __init__(self, axis=-1):
        self.axis = _axis("Sparsemax", axis)

    def forward(self, x):
        z = np.moveaxis(x, self.axis, -1)                  # work along the last axis
        z_sorted = -np.sort(-z, axis=-1)                   # decreasing
        cumulative = np.cumsum(z_sorted, axis=-1)
        k = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        support_size = np.sum(1 + k * z_sorted > cumulative, axis=-1, keepdims=True)
        sum_on_support = np.take_along_axis(cumulative, support_size - 1, axis=-1)
        tau = (sum_on_support - 1) / support_size.astype(x.dtype)   # keep float32 float32
        y = np.maximum(z - tau, 0)
        y = np.moveaxis(y, -1, self.axis)
        return y, y

    def backward(self, cache, grad_out):
        on_support = cache > 0
        size = on_support.sum(axis=self.axis, keepdims=True, dtype=grad_out.dtype)
        mean = np.sum(grad_out * on_support, axis=self.axis, keepdims=True) / size
        return np.multiply(grad_out - mean, on_support)

    def get_config(self):
        return {"axis": self.axis}


# --------------------------------------------------- user-supplied functions
class CustomActivation(ActivationFunction):
    r"""A learner's plain Python function as an activation, differentiated by the op tape.

    ``keras.layers.Dense(2, activation=lambda x: x ** 2)`` or a ``def``
    written with ``keras.ops`` has no ``backward``. ``forward`` therefore
    runs the function on a :class:`~kerastutor.tape.Tape` with the input
    *watched*, so every operation on it (``**``, ``ops.maximum``,
    ``keras.activations.relu``, ...) is recorded with its own derivative;
    ``backward`` walks that tape from the output, starting from
    :math:`g = \partial L / \partial y`, and returns
    :math:`\partial L / \partial x`. For an elementwise :math:`\phi` that is
    :math:`\phi'(x) \odot g`, exactly what a written-out ``backward`` gives.

    A function written with raw NumPy (``np.maximum(x, 0)``) still computes
    ``y`` (``predict`` works), but its derivative is unknown: ``backward``
    raises the :class:`~kerastutor.tape.RawNumpyError` that names the
    ``keras.ops`` function to use instead.
    """

    def __init__(self, function):
        self.function = function
        self.name = getattr(function, "__name__", type(function).__name__)

    def forward(self, x):
        recorder = tape.Tape(training=tape.current_training())
        watched = recorder.watch(x)
        try:
            with recorder:
                out = self.function(watched)
        except tape.RawNumpyError as err:       # raw NumPy: the value, but no derivative
            return self._as_output(self.function(x), x), err
        return self._as_output(tape._value(out), x), (recorder, watched, out)

    @staticmethod
    def _as_output(y, x):
        """``y`` as an array of ``x``'s float dtype (``lambda x: 2.0 * x`` stays float32)."""
        y = np.asarray(y)
        return y.astype(x.dtype, copy=False) if y.dtype.kind == "f" else y

    def backward(self, cache, grad_out):
        if isinstance(cache, tape.RawNumpyError):
            raise tape.RawNumpyError(cache.function, owner=f"The activation {self.name!r}")
        if cache is None:
            raise ValueError(
                f"The activation {self.name!r}: backward(cache, grad_out) needs the cache "
                "that forward(x) returned, got None. Hint: y, cache = activation.forward(x) "
                "first.")
        recorder, watched, out = cache
        grad = recorder.gradient(out, grad_out, watched)
        return np.asarray(grad, dtype=watched.value.dtype)

    def get_config(self):
        return {"function": self.name}

    def __repr__(self):
        return f"CustomActivation({self.name})"


# -------------------------------------------------- the Keras functions
def linear(x):
    """Identity: returns ``x`` unchanged (as a float array)."""
    return _as_float(x)


def exponential(x):
    """:math:`e^x`."""
    return Exponential()(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's options; see :class:`ReLU`."""
    return ReLU(negative_slope, max_value, threshold)(x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise; see :class:`LeakyReLU`."""
    return LeakyReLU(negative_slope)(x)


def relu6(x):
    """``min(max(x, 0), 6)``; see :class:`ReLU6`."""
    return ReLU6()(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``; see :class:`Threshold`."""
    return Threshold(threshold, default_value)(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``; see :class:`Sigmoid`."""
    return Sigmoid()(x)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``; see :class:`HardSigmoid`."""
    return HardSigmoid()(x)


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``; see :class:`SparseSigmoid`."""
    return SparseSigmoid()(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably; see :class:`LogSigmoid`."""
    return LogSigmoid()(x)


def tanh(x):
    """Hyperbolic tangent; see :class:`Tanh`."""
    return Tanh()(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``; see :class:`HardTanh`."""
    return HardTanh()(x)


def tanh_shrink(x):
    """``x - tanh(x)``; see :class:`TanhShrink`."""
    return TanhShrink()(x)


def softsign(x):
    """``x / (1 + |x|)``; see :class:`Softsign`."""
    return Softsign()(x)


def softplus(x):
    """``log(1 + exp(x))``, computed stably; see :class:`Softplus`."""
    return Softplus()(x)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``; see :class:`Squareplus`."""
    return Squareplus(b)(x)


def sparse_plus(x):
    """0 below -1, ``(x + 1)^2 / 4`` in between, ``x`` above 1; see :class:`SparsePlus`."""
    return SparsePlus()(x)


def elu(x, alpha=1.0):
    """Exponential linear unit; see :class:`ELU`."""
    return ELU(alpha)(x)


def selu(x):
    """Scaled exponential linear unit; see :class:`SELU`."""
    return SELU()(x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU; see :class:`CELU`."""
    return CELU(alpha)(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form by default); see :class:`GELU`."""
    return GELU(approximate)(x)


def silu(x):
    """``x * sigmoid(x)``, also called swish; see :class:`SiLU`."""
    return SiLU()(x)


def hard_silu(x):
    """``x * hard_sigmoid(x)``, also called hard swish; see :class:`HardSiLU`."""
    return HardSiLU()(x)


def mish(x):
    """``x * tanh(softplus(x))``; see :class:`Mish`."""
    return Mish()(x)


def soft_shrink(x, threshold=0.5):
    """``sign(x) * max(|x| - threshold, 0)``; see :class:`SoftShrink`."""
    return SoftShrink(threshold)(x)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0; see :class:`HardShrink`."""
    return HardShrink(threshold)(x)


def softmax(x, axis=-1):
    """Softmax along ``axis``; see :class:`Softmax`."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``; see :class:`LogSoftmax`."""
    return LogSoftmax(axis)(x)


def glu(x, axis=-1):
    """Gated linear unit along ``axis``; see :class:`GLU`."""
    return GLU(axis)(x)


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``; see :class:`Sparsemax`."""
    return Sparsemax(axis)(x)


swish = silu
hard_swish = hard_silu


# ------------------------------------------------ names, get and serialize
# The registry's catalog of activations: get("relu") finds ReLU by its Keras name, a
# saved record {"class_name": "ReLU"} by its class name, and keras.activations.relu (a
# function) is known too, so that activation=keras.activations.relu finds its class.
CATALOG = registry.Catalog("activation", "keras.activations")
for _cls in (Linear, Exponential, ReLU, LeakyReLU, ReLU6, Threshold, Sigmoid, HardSigmoid,
             SparseSigmoid, LogSigmoid, Tanh, HardTanh, TanhShrink, Softsign, Softplus,
             Squareplus, SparsePlus, ELU, SELU, CELU, GELU, SiLU, HardSiLU, Mish, SoftShrink,
             HardShrink, Softmax, LogSoftmax, GLU, Sparsemax):
    CATALOG.add(_cls, _cls.name)
CATALOG.add(SiLU, "swish")
CATALOG.add(HardSiLU, "hard_swish")
_FUNCTION_CLASSES = {}
for _function in (linear, exponential, relu, leaky_relu, relu6, threshold, sigmoid,
                  hard_sigmoid, sparse_sigmoid, log_sigmoid, tanh, hard_tanh, tanh_shrink,
                  softsign, softplus, squareplus, sparse_plus, elu, selu, celu, gelu, silu,
                  hard_silu, mish, soft_shrink, hard_shrink, softmax, log_softmax, glu,
                  sparsemax):
    CATALOG.add(_function)
    _FUNCTION_CLASSES[_function] = CATALOG.names[_function.__name__]
del _cls, _function


def _known_names():
    return sorted(CATALOG.names)


def _constructor_parameters(cls):
    """The named arguments of ``cls.__init__`` (none for parameter-free activations)."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [p for p in parameters if p.name != "self" and p.kind in named]


def _required_arguments(cls):
    """Constructor arguments without a default (``threshold`` needs two)."""
    return [p.name for p in _constructor_parameters(cls) if p.default is p.empty]


#: Why a lambda activation cannot come back from a saved config, and what to do instead.
_LAMBDA_REFUSAL = (
    "This activation was a Python lambda, which has no name to look it up by, and "
    "kerastutor never runs code stored in a file (Keras's __lambda__ bytecode records "
    "included). Hint: define it with a name, def my_activation(x): ..., and pass "
    "custom_objects={'my_activation': my_activation} when loading; to load this file as "
    "it is, pass custom_objects={'<lambda>': the_same_function}.")


def _from_name(identifier, custom_objects=None):
    try:
        found = CATALOG.lookup(identifier, custom_objects)
    except ValueError:
        if identifier == "<lambda>":
            raise ValueError(_LAMBDA_REFUSAL) from None
        raise
    if not isinstance(found, type):                 # the user's function or instance
        return get(found)
    required = _required_arguments(found)
    if required:
        arguments = ", ".join(f"{name}=..." for name in required)
        raise ValueError(
            f"The activation {identifier!r} needs arguments ({', '.join(required)}), so it "
            f"cannot be named by a string alone. Hint: pass "
            f"keras.activations.{found.__name__}({arguments}) instead.")
    return found()


def get(identifier, custom_objects=None):
    """The activation object for ``identifier``, as layers' ``activation=`` accepts it.

    Parameters
    ----------
    identifier : None, str, dict, ActivationFunction (instance or class) or callable
        ``None`` means ``"linear"``; a string is a Keras name (``"relu"``,
        ``"swish"``, ...); a dict is a serialized config; a Keras function of
        this module (``keras.activations.relu``) maps to its class; any other
        callable is wrapped in :class:`CustomActivation` (differentiated by the op
        tape).

    Returns
    -------
    ActivationFunction
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, ActivationFunction):
        return identifier()
    if isinstance(identifier, str):
        return _from_name(identifier, custom_objects)
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if callable(identifier):
        cls = _FUNCTION_CLASSES.get(identifier)
        return cls() if cls else CustomActivation(identifier)
    raise ValueError(
        f"Could not interpret the activation {identifier!r} (a {type(identifier).__name__}). "
        "Expected None, a name such as 'relu', a function, or an ActivationFunction.")


def _default_config(cls):
    """The config an instance built with no arguments would have."""
    return {p.name: p.default for p in _constructor_parameters(cls)}


def serialize(activation):
    """What a layer config stores for ``activation``.

    A built-in activation with its default options serializes to its bare
    Keras name (``"relu"``, ``"softmax"``), as in Keras. One with other
    options (``Softmax(axis=1)``) becomes a
    ``{"module", "class_name", "config", "registered_name"}`` dict; a
    custom function becomes Keras's function record with its name.
    """
    activation = get(activation)
    if isinstance(activation, CustomActivation):
        return {"module": "builtins", "class_name": "function",     # "package>name" if
                "config": registry.get_registered_name(activation.function),   # registered
                "registered_name": "function"}
    config = activation.get_config()
    if config == _default_config(type(activation)):
        return activation.name
    return {"module": "keras.activations", "class_name": type(activation).__name__,
            "config": config, "registered_name": None}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`: a name or a config dict back to an activation.

    Parameters
    ----------
    config : str or dict
        ``"relu"``, or a dict as :func:`serialize` writes it (including Keras's
        ``{"class_name": "function", "config": "relu"}`` record).
    custom_objects : dict or None
        Maps names of user functions or classes to the objects themselves.
    """
    if isinstance(config, str):
        return _from_name(config, custom_objects)
    if isinstance(config, dict) and config.get("class_name") == "function":
        return _from_name(config.get("config"), custom_objects)   # Keras's function record
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        raise ValueError(_LAMBDA_REFUSAL)
    return get(CATALOG.from_record(config, custom_objects))


__all__ = [
    "ActivationFunction", "CustomActivation",
    "Linear", "Exponential", "ReLU", "LeakyReLU", "ReLU6", "Threshold", "Sigmoid",
    "HardSigmoid", "SparseSigmoid", "LogSigmoid", "Tanh", "HardTanh", "TanhShrink",
    "Softsign", "Softplus", "Squareplus", "SparsePlus", "ELU", "SELU", "CELU", "GELU",
    "SiLU", "HardSiLU", "Mish", "SoftShrink", "HardShrink", "Softmax", "LogSoftmax", "GLU",
    "Sparsemax",
    "linear", "exponential", "relu", "leaky_relu", "relu6", "threshold", "sigmoid",
    "hard_sigmoid", "sparse_sigmoid", "log_sigmoid", "tanh", "hard_tanh", "tanh_shrink",
    "softsign", "softplus", "squareplus", "sparse_plus", "elu", "selu", "celu", "gelu",
    "silu", "swish", "hard_silu", "hard_swish", "mish", "soft_shrink", "hard_shrink",
    "softmax", "log_softmax", "glu", "sparsemax",
    "get", "serialize", "deserialize",
]
