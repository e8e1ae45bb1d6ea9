r"""``keras.ops``: NumPy-like operations that know their own derivatives.

Built-in layers, activations and losses write ``backward`` by hand. Code a
learner writes the Keras way -- a custom layer's ``call`` returning
``ops.matmul(x, self.w) + self.b``, a ``keras.losses.Loss`` subclass's
``call``, an activation ``lambda x: ops.maximum(x, 0)`` -- has no
``backward``, so kerastutor records the operations it runs on a **tape**
(:mod:`kerastutor.tape`) and walks the tape backwards. Each op here computes
its value with NumPy and, when a tape records and an operand is traced,
records its vector-Jacobian product, written next to the forward formula
exactly like a layer's backward.

The activations (``ops.relu``, ``ops.softmax``, ``ops.gelu``, ...) are the
objects of :mod:`kerastutor.activations`: their ``forward`` gives the value
and their own ``backward`` is the op's derivative, so no formula is written
twice.

Outside a tape every op simply returns a NumPy array.

The ops are a package that mirrors Keras's own (``keras/src/ops``):

* ``ops.numpy`` (:mod:`~kerastutor.ops.numpy`): NumPy's functions, written in
  themed chapters -- :mod:`~kerastutor.ops.elementwise`,
  :mod:`~kerastutor.ops.reductions`, :mod:`~kerastutor.ops.shapes`,
  :mod:`~kerastutor.ops.creation`, :mod:`~kerastutor.ops.products`;
* ``ops.nn`` (:mod:`~kerastutor.ops.nn`): activations, convolution, pooling,
  normalization, attention, losses;
* ``ops.linalg`` (:mod:`~kerastutor.ops.linalg`): solve, inverse, factorisations, norms;
* ``ops.math`` (:mod:`~kerastutor.ops.math`): special functions, segments, top-k, FFTs;
* ``ops.image`` (:mod:`~kerastutor.ops.image`): resize, colour, patches, transforms
  (not top-level, as in Keras);
* ``ops.core`` (:mod:`~kerastutor.ops.core`): dtypes, control flow, custom gradients;
  ``ops.rearrange`` (:mod:`~kerastutor.ops.einops`).

Every name except ``ops.image``'s is also reachable at the top (``ops.cumsum``,
``ops.conv``, ``ops.solve``, ``ops.cond``), as in Keras.

The modules import one another in one direction only: ``elementwise``,
``reductions``, ``shapes``, ``creation``, ``core``, ``products``, ``math``,
``linalg``, ``nn``, ``image``, ``einops`` -- each may use the ones before it.
"""
from kerastutor.tape import (RAW_NUMPY_HINT, GradientTape, RawNumpyError, Tape,  # noqa: F401
                             TapeArithmetic, Traced, VariableBase, current_training,
                             gradient_tape_records, is_traced, record_activation, take_index,
                             unbroadcast)

from kerastutor.ops import (core, creation, einops, elementwise, image, linalg,  # noqa: F401
                            math, nn, numpy, products, reductions, shapes)
from kerastutor.ops.core import *          # noqa: F401,F403
from kerastutor.ops.einops import *        # noqa: F401,F403
from kerastutor.ops.linalg import *        # noqa: F401,F403
from kerastutor.ops.math import *          # noqa: F401,F403
from kerastutor.ops.nn import *            # noqa: F401,F403
from kerastutor.ops.numpy import *         # noqa: F401,F403

#: The tape's own names, kept here for code written before ``kerastutor.tape`` existed.
TAPE_NAMES = ["Tape", "Traced", "unbroadcast", "take_index", "RawNumpyError",
              "RAW_NUMPY_HINT", "current_training", "is_traced", "record_activation",
              "VariableBase", "TapeArithmetic", "GradientTape", "gradient_tape_records"]

__all__ = sorted({*core.__all__, *einops.__all__, *linalg.__all__, *math.__all__,
                  *nn.__all__, *numpy.__all__, *TAPE_NAMES})
