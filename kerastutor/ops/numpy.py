r"""``keras.ops.numpy``: NumPy's functions, each with its derivative.

Keras keeps 220 NumPy-like functions in one module. kerastutor writes them in
themed chapters and gathers them here under the one namespace:

* :mod:`~kerastutor.ops.elementwise` -- :math:`f(x)` entry by entry, comparisons, bit ops;
* :mod:`~kerastutor.ops.reductions` -- sums, statistics, cumulative ops, sorting, searching;
* :mod:`~kerastutor.ops.shapes` -- reshaping, indexing, joining and splitting;
* :mod:`~kerastutor.ops.creation` -- constants, ranges, windows and grids;
* :mod:`~kerastutor.ops.products` -- matrix products and contractions;

plus ``slogdet`` (from :mod:`~kerastutor.ops.linalg`) and ``vectorize`` (from
:mod:`~kerastutor.ops.core`), which Keras also files under ``numpy``.
"""
from kerastutor.ops import creation, elementwise, products, reductions, shapes
from kerastutor.ops.core import vectorize  # noqa: F401  (Keras files it under numpy)
from kerastutor.ops.creation import *      # noqa: F401,F403
from kerastutor.ops.elementwise import *   # noqa: F401,F403
from kerastutor.ops.linalg import slogdet  # noqa: F401  (Keras files it under numpy)
from kerastutor.ops.products import *      # noqa: F401,F403
from kerastutor.ops.reductions import *    # noqa: F401,F403
from kerastutor.ops.shapes import *        # noqa: F401,F403

__all__ = sorted({*creation.__all__, *elementwise.__all__, *products.__all__,
                  *reductions.__all__, *shapes.__all__, "slogdet", "vectorize"})
