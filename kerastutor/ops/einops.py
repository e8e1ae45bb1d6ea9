r"""``keras.ops.rearrange``: einops-style reshapes and transposes written as a pattern."""
import numpy as np

from kerastutor.tape import _record, _value

__all__ = []
