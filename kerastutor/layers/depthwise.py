r"""Depthwise and separable convolutions: DepthwiseConv1D/2D, SeparableConv1D/2D.

A **depthwise** convolution slides a small kernel over each input channel on
its own: channel :math:`c` makes ``depth_multiplier`` output channels and never
sees channel :math:`c' \ne c`. That is exactly a grouped convolution
(:class:`~kerastutor.layers.convolutional.BaseConv` with ``groups``) with one
group per input channel, so the layer reuses its im2col forward and col2im
backward unchanged; only the kernel's layout differs (Keras stores it as
``kernel_size + (cin, depth_multiplier)``).

A **separable** convolution is a depthwise convolution followed by a
pointwise (1x1) one that mixes the channels. For ``cin`` input and ``f``
output channels and a ``K``-pixel window it learns ``K cin m + cin m f``
numbers instead of a full convolution's ``K cin f`` -- the trick behind
Xception and MobileNet.
"""

from kerastutor.layers.base import Layer, weight_settings
from kerastutor.layers.conv_im2col import grouped_matmul, merge_groups
from kerastutor.layers.convolutional import BaseConv, ConvCache, _positive_int


class BaseDepthwiseConv(BaseConv):
    r"""N-dimensional depthwise convolution: one small convolution per input channel.

    With ``depth_multiplier`` :math:`M`, output channel :math:`cM + m` is
    input channel :math:`c` cross-correlated with kernel slice
    :math:`W_{\cdot,c,m}`:

    .. math::

        z_{n,p,\,cM+m} = b_{cM+m} + \sum_{k}
            \tilde x_{n,\; s p + d k,\; c}\; W_{k,c,m}, \qquad y = \phi(z)

    As matrices: :class:`~kerastutor.layers.convolutional.BaseConv` with
    ``groups = cin``; each group's patch matrix :math:`P_c` holds only
    channel :math:`c`'s windows, and :math:`Z_c = P_c W_c` with :math:`W_c`
    of shape ``(prod(kernel_size), M)``.

    **Backward.** With :math:`\delta = \phi'(z) \odot \partial L/\partial y`:

    .. math::

        \frac{\partial L}{\partial W_{k,c,m}} = \sum_{n,p}
            \tilde x_{n,\, s p + d k,\, c}\, \delta_{n,p,\,cM+m}
            \;\; (= P_c^\top \delta_c), \qquad
        \frac{\partial L}{\partial b_j} = \sum_{n,p} \delta_{n,p,j},

    .. math::

        \frac{\partial L}{\partial \tilde x_{n,\, s p + d k,\, c}}
            \mathrel{+}= \sum_m \delta_{n,p,\,cM+m}\, W_{k,c,m}
            \quad \text{(col2im of } \delta_c W_c^\top \text{)}

    Weights as Keras: ``kernel`` ``kernel_size + (cin, depth_multiplier)``,
    ``bias`` ``(cin * depth_multiplier,)``.
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        # Layer's __init__, not BaseConv's: there is no `filters` or `groups` to
        # check (both follow from the input channels in build()), and no LoRA.
        Layer.__init__(self, activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive_int(
            depth_multiplier, "depth_multiplier", type(self).__name__,
            "how many output channels each input channel makes")
        self._window_arguments(kernel_size, strides, padding, data_format, dilation_rate,
                               activation, use_bias)
        self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint = \
            weight_settings(depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        cin = self._input_channels(input_shape)
        self.filters = cin * self.depth_multiplier
        self.kernel = self._add_depthwise_kernel(cin, "kernel")
        self.bias = self._add_bias(self.filters)
        self._finish_build(input_shape, cin)

    def _add_depthwise_kernel(self, cin, name):
        """``D``, ``kernel_size + (cin, M)``; one group per input channel from now on."""
        self.groups = cin
        return self.add_weight(self.kernel_size + (cin, self.depth_multiplier),
                               self.depthwise_initializer, name=name,
                               regularizer=self.depthwise_regularizer,
                               constraint=self.depthwise_constraint)

    # ------------------------------------------------ adapter 2: groups
    @property
    def _depthwise_weight(self):
        """The weight ``D`` of shape ``kernel_size + (cin, M)``."""
        return self.kernel

    def _kernel_groups(self):
        """``D`` as ``(cin, window, M)``: one ``window x M`` matrix per input channel."""
        window = self._depthwise_weight.value.reshape(-1, self.groups, self.depth_multiplier)
        return window.transpose(1, 0, 2)

    def _add_kernel_grad(self, dw_groups):
        weight = self._depthwise_weight
        weight.grad += dw_groups.transpose(1, 0, 2).reshape(weight.shape)

    # forward, backward: BaseConv's, with the kernel above and groups = cin

    def compute_output_shape(self, input_shape):
        cin = self._output_spatial(input_shape)[2]
        return self._conv_output_shape(input_shape, cin * self.depth_multiplier)

    def get_config(self):
        return self._window_config({"depth_multiplier": self.depth_multiplier}, {},
                                   ("depthwise", "bias"))


class DepthwiseConv1D(BaseDepthwiseConv):
    r"""1D depthwise convolution: ``(batch, steps, cin)`` to ``(batch, new_steps, cin*M)``.

    .. math::

        z_{n,t,\,cM+m} = b_{cM+m} + \sum_{k=0}^{K-1}
            \tilde x_{n,\, s t + d k,\, c}\, W_{k,c,m}, \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`):

    .. math::

        \frac{\partial L}{\partial W_{k,c,m}} = \sum_{n,t}
            \tilde x_{n,\, s t + d k,\, c}\, \delta_{n,t,\,cM+m}, \qquad
        \frac{\partial L}{\partial \tilde x_{n,\, s t + d k,\, c}} \mathrel{+}=
            \sum_m \delta_{n,t,\,cM+m}\, W_{k,c,m}

    Kernel ``(K, cin, depth_multiplier)``. See :class:`BaseDepthwiseConv`.
    """

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    r"""2D depthwise convolution: each image channel filtered on its own.

    .. math::

        z_{n,i,j,\,cM+m} = b_{cM+m} + \sum_{u,v}
            \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}\; W_{u,v,c,m},
        \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`):

    .. math::

        \frac{\partial L}{\partial W_{u,v,c,m}} = \sum_{n,i,j}
            \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}\;
            \delta_{n,i,j,\,cM+m},
        \qquad
        \frac{\partial L}{\partial \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}}
            \mathrel{+}= \sum_m \delta_{n,i,j,\,cM+m}\, W_{u,v,c,m}

    Kernel ``(K_h, K_w, cin, depth_multiplier)``. See :class:`BaseDepthwiseConv`.
    """

    rank = 2


class BaseSeparableConv(BaseDepthwiseConv):
    r"""N-dimensional separable convolution: depthwise, then pointwise (1x1), then bias.

    .. math::

        u_{n,p,\,cM+m} = \sum_{k} \tilde x_{n,\; s p + d k,\; c}\; D_{k,c,m},
        \qquad
        z_{n,p,f} = b_f + \sum_{j} u_{n,p,j}\, Q_{j,f}, \qquad y = \phi(z)

    :math:`u` is :class:`BaseDepthwiseConv`'s output (no bias of its own);
    :math:`Q` mixes its ``cin * M`` channels into ``filters``, the same matrix
    at every position.

    **Backward.** With :math:`\delta = \phi'(z) \odot \partial L/\partial y`,
    the pointwise step is a Dense layer applied at every pixel, and its input
    gradient :math:`\delta^u` goes into the depthwise step's backward:

    .. math::

        \frac{\partial L}{\partial Q} = \sum_{n,p} u_{n,p}^\top \delta_{n,p}, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,p} \delta_{n,p,f}, \qquad
        \delta^u = \delta\, Q^\top,

    .. math::

        \frac{\partial L}{\partial D_{k,c,m}} = \sum_{n,p}
            \tilde x_{n,\, s p + d k,\, c}\, \delta^u_{n,p,\,cM+m}, \qquad
        \frac{\partial L}{\partial \tilde x_{n,\, s p + d k,\, c}}
            \mathrel{+}= \sum_m \delta^u_{n,p,\,cM+m}\, D_{k,c,m}

    Weights as Keras, in this order: ``depthwise_kernel`` ``kernel_size +
    (cin, M)``, ``pointwise_kernel`` ``(1,)*rank + (cin*M, filters)``,
    ``bias`` ``(filters,)``.
    """

    _bias_in_patches = False     # the bias comes after the pointwise step, not the patches

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(
            kernel_size, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
            **kwargs)
        self.filters = _positive_int(filters, "filters", type(self).__name__,
                                     "the number of output channels of the pointwise step")
        self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint = \
            weight_settings(pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def build(self, input_shape):
        cin = self._input_channels(input_shape)
        self.depthwise_kernel = self._add_depthwise_kernel(cin, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (cin * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            name="pointwise_kernel", regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = self._add_bias(self.filters)
        self._finish_build(input_shape, cin)

    @property
    def _depthwise_weight(self):
        return self.depthwise_kernel

    def _pointwise_matrix(self):
        """``Q`` as ``(cin * M, filters)``."""
        return self.pointwise_kernel.value.reshape(-1, self.filters)

    def forward(self, x, training=False):
        x = self._to_channels_last(x)                                    # data_format
        patches, padded_shape, where = self._patches(x)                  # pad, im2col: P
        u = merge_groups(grouped_matmul(patches, self._kernel_groups())) # depthwise: U = P D
        z = u @ self._pointwise_matrix()                                 # pointwise: Z = U Q
        z = z.reshape(x.shape[:1] + where.out + (self.filters,))
        y, act_cache = self._bias_and_activation(z)                      # y = phi(Z + b)
        return (self._from_channels_last(y),
                ConvCache(patches, padded_shape, where, act_cache, u=u))

    # backward: BaseConv's (col2im of delta^u D^T), after these weight gradients
    def backward_weights(self, cache, grad_out):
        """dL/db, dL/dQ and dL/dD; returns the depthwise step's delta^u by group."""
        delta = self._delta(cache.act_cache, self._to_channels_last(grad_out))  # phi' dL/dy
        delta = delta.reshape(-1, self.filters)
        dq = cache.u.T @ delta                                           # dL/dQ = U^T delta
        self.pointwise_kernel.grad += dq.reshape(self.pointwise_kernel.shape)
        delta_u = delta @ self._pointwise_matrix().T                     # delta Q^T
        return self._kernel_gradient(cache.patches, delta_u)             # dL/dD = P^T delta^u

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        return self._window_config({"depth_multiplier": self.depth_multiplier,
                                    "filters": self.filters}, {},
                                   ("depthwise", "pointwise", "bias"))


class SeparableConv1D(BaseSeparableConv):
    r"""1D separable convolution: depthwise over time, then a 1x1 channel mix.

    .. math::

        u_{n,t,\,cM+m} = \sum_{k=0}^{K-1} \tilde x_{n,\, s t + d k,\, c}\, D_{k,c,m},
        \qquad z_{n,t,f} = b_f + \sum_j u_{n,t,j}\, Q_{0,j,f}, \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`,
    :math:`\delta^u = \delta Q^\top`):

    .. math::

        \frac{\partial L}{\partial Q_{0,j,f}} = \sum_{n,t} u_{n,t,j}\, \delta_{n,t,f},
        \qquad
        \frac{\partial L}{\partial D_{k,c,m}} = \sum_{n,t}
            \tilde x_{n,\, s t + d k,\, c}\, \delta^u_{n,t,\,cM+m}

    and :math:`\partial L/\partial x` is :class:`DepthwiseConv1D`'s with
    :math:`\delta^u`. See :class:`BaseSeparableConv`.
    """

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    r"""2D separable convolution: depthwise over each image channel, then a 1x1 mix.

    .. math::

        u_{n,i,j,\,cM+m} = \sum_{u',v'}
            \tilde x_{n,\, s_h i + d_h u',\, s_w j + d_w v',\, c}\; D_{u',v',c,m},
        \qquad z_{n,i,j,f} = b_f + \sum_q u_{n,i,j,q}\, Q_{0,0,q,f}, \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`,
    :math:`\delta^u = \delta Q^\top`):

    .. math::

        \frac{\partial L}{\partial Q_{0,0,q,f}} = \sum_{n,i,j} u_{n,i,j,q}\,
            \delta_{n,i,j,f},
        \qquad
        \frac{\partial L}{\partial D_{u',v',c,m}} = \sum_{n,i,j}
            \tilde x_{n,\, s_h i + d_h u',\, s_w j + d_w v',\, c}\;
            \delta^u_{n,i,j,\,cM+m}

    and :math:`\partial L/\partial x` is :class:`DepthwiseConv2D`'s with
    :math:`\delta^u`. See :class:`BaseSeparableConv`.
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
