r"""``keras.ops.linalg``: solving, factorising and measuring matrices, with their derivatives.

Matrix functions act on the last two axes; leading axes are a batch. Each
derivative is the matrix-calculus identity written beside its forward
formula (for the inverse, :math:`\bar A = -A^{-\top}\,\bar Y\,A^{-\top}`).
"""
import numpy as np

from kerastutor.tape import _record, _value

__all__ = []
