r"""``keras.ops.image``: resizing, colour conversions, patches and geometric transforms.

Images are ``(height, width, channels)`` or a batch of them
(``data_format="channels_last"``, Keras's default). Each op is linear in the
pixels or a smooth function of them, so its derivative is written as the
transpose of the sampling it does.
"""
import numpy as np

from kerastutor.tape import _record, _value

__all__ = []
