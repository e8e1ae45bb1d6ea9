r"""Dropout for recurrent cells: one mask per sequence, for the input and for the state.

Dropout in a recurrent layer, as in Keras (after Gal and Ghahramani, 2016),
draws *one* mask for the whole sequence rather than a fresh one at every
step, so that a dropped feature stays dropped for all :math:`T` steps:

.. math::

    \tilde x_t = x_t \odot \frac{m^x}{1 - p}, \qquad
    \tilde h_{t-1} = h_{t-1} \odot \frac{m^h}{1 - p_\text{rec}}, \qquad
    m^x, m^h \sim \text{Bernoulli}(1 - p)\ \text{elementwise, once per sequence}

:math:`\tilde x_t` enters the input product :math:`x_t W` (``dropout``),
:math:`\tilde h_{t-1}` the recurrent product :math:`h_{t-1} U`
(``recurrent_dropout``). Backward multiplies the gradients flowing back
through :math:`W^\top` and :math:`U^\top` by the same masks.
"""
from kerastutor import backend
from kerastutor import random as keras_random


class DropoutRNNCellMixin:
    """A cell's dropout masks: drawn at a sequence's first step, kept until reset.

    A cell using it sets ``dropout``, ``recurrent_dropout`` and ``seed``
    (:meth:`_init_dropout`); the :class:`~kerastutor.layers.rnn.RNN` calls
    :meth:`reset_dropout_masks` before and after every sequence. One input
    mask and one recurrent mask serve all the gates of an LSTM or GRU; Keras,
    once ``recurrent_dropout > 0``, draws one of each per gate instead (see
    :class:`~kerastutor.layers.lstm.LSTM`).
    """

    def _init_dropout(self, dropout, recurrent_dropout, seed):
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras_random.SeedGenerator(seed)    # as Keras's cells: always
        self._dropout_masks = {}

    def get_dropout_mask(self, x, training):
        """The mask of the input features ``(batch, features)``, or ``None`` (no dropout)."""
        return self._sequence_mask("input", (x.shape[0], x.shape[-1]), x.dtype,
                                   self.dropout, training)

    def get_recurrent_dropout_mask(self, h, training):
        """The mask of the state :math:`h_{t-1}` ``(batch, units)``, or ``None``."""
        return self._sequence_mask("recurrent", h.shape, h.dtype, self.recurrent_dropout,
                                   training)

    def reset_dropout_masks(self):
        """Draw fresh dropout masks at the next step (a new sequence starts)."""
        self._dropout_masks = {}

    def _sequence_mask(self, kind, shape, dtype, rate, training):
        """The inverted-dropout mask ``kind`` for this sequence: drawn once, then reused."""
        if not training or rate <= 0:
            return None
        mask = self._dropout_masks.get(kind)
        if mask is None or mask.shape != shape or mask.dtype != dtype:
            keep = keras_random.keep_mask(shape, rate, self.seed_generator)
            mask = keep.astype(dtype) / backend.asarray(1.0 - rate, dtype=dtype)
            mask = backend.to_device(mask)      # drawn by NumPy, moved to the device once
            self._dropout_masks[kind] = mask
        return mask


def masked(a, mask):
    """``a * mask`` for dropout (``a`` itself when there is no mask)."""
    return a if mask is None else a * mask
