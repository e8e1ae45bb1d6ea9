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
from kerastutor.ops import core, creation, elementwise, linalg, products, reductions, shapes
from kerastutor.ops.creation import *      # noqa: F401,F403
from kerastutor.ops.elementwise import *   # noqa: F401,F403
from kerastutor.ops.products import *      # noqa: F401,F403
from kerastutor.ops.reductions import *    # noqa: F401,F403
from kerastutor.ops.shapes import *        # noqa: F401,F403

# Names Keras files under ``numpy`` that live in another chapter here.
_FROM_ELSEWHERE = {"slogdet": linalg, "vectorize": core}
for _name, _module in _FROM_ELSEWHERE.items():
    if hasattr(_module, _name):
        globals()[_name] = getattr(_module, _name)

__all__ = sorted({*creation.__all__, *elementwise.__all__, *products.__all__,
                  *reductions.__all__, *shapes.__all__}
                 | {n for n, m in _FROM_ELSEWHERE.items() if hasattr(m, n)})
