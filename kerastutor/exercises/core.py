"""Exercises on the core layers: Dense, Dropout, Embedding."""
import numpy as np

from kerastutor import layers
from kerastutor.exercises.grading import Exercise, Mistake, Numerical
from kerastutor.exercises.oracle import gradients, with_weights

TOPIC = "Core layers"


# ----------------------------------------------------------------------------- Dense
def dense_solution(x, W, b, grad_y):
    """kerastutor's Dense layer (no activation) with the learner's W and b."""
    dense = with_weights(layers.Dense(W.shape[1]), (None, W.shape[0]), kernel=W, bias=b)
    y, cache = dense.forward(x)
    grad_x = dense.backward(cache, grad_y)
    return (grad_x,) + gradients(dense, "kernel", "bias")


def _dense_forward(inputs, learner):
    x, W, b = inputs["x"], inputs["W"], inputs["b"]
    return with_weights(layers.Dense(W.shape[1]), (None, W.shape[0]),
                        kernel=W, bias=b).forward(x)[0]


def _dense_example():
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=(3, 2)).round(1), rng.normal(size=(2, 4)).round(1)
    return dict(x=x, W=W, b=np.array([0.1, -0.2, 0.0, 0.3]),
                grad_y=rng.normal(size=(3, 4)).round(1))


def _dense_draw(draw):
    n, n_in, units = draw.size(1, 5), draw.size(1, 4), draw.size(1, 4)
    return dict(x=draw.normal(n, n_in), W=draw.normal(n_in, units), b=draw.normal(units),
                grad_y=draw.normal(n, units))


DENSE_BACKWARD = Exercise(
    name="dense_backward",
    summary="the gradients of a Dense layer y = x W + b",
    topic=TOPIC,
    arguments=("x", "W", "b", "grad_y"),
    returns=("grad_x", "grad_W", "grad_b"),
    docstring="""
The backward pass of a Dense layer without activation:  y = x @ W + b.

Parameters
    x       (N, n_in)      the layer's input, one row per sample
    W       (n_in, units)  the kernel
    b       (units,)       the bias
    grad_y  (N, units)     dL/dy, the gradient arriving from above

Returns grad_x, grad_W, grad_b:
    grad_x  (N, n_in)      dL/dx = grad_y W^T
    grad_W  (n_in, units)  dL/dW = x^T grad_y
    grad_b  (units,)       dL/db = grad_y summed over the batch
""",
    task=r"""
A Dense layer maps each row of :math:`x` to :math:`y = xW + b`. Given the
gradient :math:`\delta = \partial L/\partial y` from the layer above, compute
the gradients of the loss with respect to the input, the kernel and the bias:

.. math::

    \frac{\partial L}{\partial x} = \delta\, W^\top, \qquad
    \frac{\partial L}{\partial W} = x^\top \delta, \qquad
    \frac{\partial L}{\partial b} = \sum_{n=1}^{N} \delta_{n,:}

Shapes: ``x`` is ``(N, n_in)``, ``W`` is ``(n_in, units)``, ``b`` is ``(units,)``
and ``grad_y`` is ``(N, units)``. Each gradient has the shape of what it is the
gradient of.
""",
    example=_dense_example,
    draw=_dense_draw,
    solution=dense_solution,
    library=("kerastutor.layers.Dense",),
    hints=(
        "Write the shapes next to each other: ``x.T`` is ``(n_in, N)`` and ``grad_y`` is "
        "``(N, units)``, so ``x.T @ grad_y`` is ``(n_in, units)`` -- the shape of ``W``.",
        "The bias is added to every row, so each row's gradient flows into it: sum "
        "``grad_y`` over axis 0.",
        "Do not divide by the batch size: the 1/N of the mean loss is already inside "
        "``grad_y``.",
    ),
    mistakes=(
        Mistake("transpose", "dL/dx multiplies by W transposed: grad_y @ W.T, not grad_y @ W "
                             "(the shapes only agree by chance when W is square).",
                lambda i: {"grad_x": i["grad_y"] @ i["W"]}),
    ),
    numerical=Numerical(_dense_forward, {"grad_x": "x", "grad_W": "W", "grad_b": "b"},
                        "grad_y", "Dense.forward"),
)


# ----------------------------------------------------------------------------- Dropout
def dropout_solution(x, mask, rate, grad_y):
    """kerastutor's Dropout layer, with the learner's mask as its cache.

    Dropout's forward multiplies ``x`` by the same factor ``mask / (1 - rate)`` that
    its backward applies to ``dL/dy``; the layer keeps that mask in its cache, so its
    ``backward`` with the given mask computes both.
    """
    layer = layers.Dropout(rate)
    return layer.backward(mask, x), layer.backward(mask, grad_y)


def _dropout_case(x, rate, seed, grad_y):
    """A case whose mask is drawn by the library's own Dropout (Keras's draw)."""
    _, mask = layers.Dropout(rate, seed=seed).forward(x, training=True)
    return dict(x=x, mask=np.asarray(mask, dtype=np.float64), rate=rate, grad_y=grad_y)


def _dropout_example():
    rng = np.random.default_rng(2)
    return _dropout_case(rng.normal(size=(2, 5)).round(1), 0.4, 7,
                         rng.normal(size=(2, 5)).round(1))


def _dropout_draw(draw):
    n, d = draw.size(1, 4), draw.size(1, 6)
    rate = draw.choice((0.5, 0.25, 0.1, 0.8))
    return _dropout_case(draw.normal(n, d), rate, draw.size(0, 1000), draw.normal(n, d))


def _dropout_forward(inputs, learner):
    return learner(inputs)[0]


DROPOUT = Exercise(
    name="dropout",
    summary="inverted dropout, forward and backward, for a given mask",
    topic=TOPIC,
    arguments=("x", "mask", "rate", "grad_y"),
    returns=("y", "grad_x"),
    docstring="""
Keras's (inverted) dropout while training, for a mask already drawn.

Parameters
    x       (N, D)  the input
    mask    (N, D)  1.0 where an entry is kept, 0.0 where it is dropped
    rate    float   the fraction dropped, p
    grad_y  (N, D)  dL/dy

Returns y, grad_x:
    y       (N, D)  y = mask * x / (1 - p)      (kept entries are scaled up)
    grad_x  (N, D)  dL/dx = mask * grad_y / (1 - p)
""",
    task=r"""
While training, Dropout keeps each entry with probability :math:`1 - p` and
scales the kept ones by :math:`1/(1-p)`, so that the expected output equals
the input and inference needs no change ("inverted" dropout). The mask
:math:`m` (1 = kept) is given:

.. math::

    y = \frac{m \odot x}{1 - p}, \qquad
    \frac{\partial L}{\partial x} = \frac{m}{1 - p} \odot \frac{\partial L}{\partial y}

Return ``y`` and ``grad_x``, both shaped like ``x``. The masks of the graded
cases are drawn by kerastutor's ``Dropout`` layer, as Keras draws them.
""",
    example=_dropout_example,
    draw=_dropout_draw,
    solution=dropout_solution,
    library=("kerastutor.layers.Dropout",),
    hints=(
        "The output is linear in ``x`` entry by entry, so the backward multiplies by the "
        "same factor as the forward.",
        "Scale by ``1 / (1 - rate)``, the probability of *keeping* an entry -- not by "
        "``1 / rate``.",
    ),
    mistakes=(
        Mistake("no_scale", "the kept entries must be scaled by 1/(1 - rate): Keras's dropout "
                            "is *inverted*, so that inference needs no rescaling.",
                lambda i: {"y": i["mask"] * i["x"], "grad_x": i["mask"] * i["grad_y"]}),
        Mistake("rate_scale", "divide by the keep probability 1 - rate, not by rate.",
                lambda i: {"y": i["mask"] * i["x"] / i["rate"],
                           "grad_x": i["mask"] * i["grad_y"] / i["rate"]}),
        Mistake("no_mask", "the backward needs the mask too: a dropped entry did not "
                           "influence the output, so its gradient is 0.",
                lambda i: {"grad_x": i["grad_y"] / (1 - i["rate"])}),
    ),
    numerical=Numerical(_dropout_forward, {"grad_x": "x"}, "grad_y", "your own y"),
)


# ----------------------------------------------------------------------------- Embedding
def embedding_solution(ids, grad_y, input_dim):
    """kerastutor's Embedding layer: its backward scatters rows into the table's gradient."""
    output_dim = grad_y.shape[-1]
    layer = with_weights(layers.Embedding(input_dim, output_dim), ids.shape,
                         embeddings=np.zeros((input_dim, output_dim)))
    _, cache = layer.forward(ids)
    layer.backward(cache, grad_y)
    return gradients(layer, "embeddings")[0]


def _embedding_forward(inputs, learner):
    table = inputs["_embeddings"]
    layer = with_weights(layers.Embedding(*table.shape), inputs["ids"].shape, embeddings=table)
    return layer.forward(inputs["ids"])[0]


def _embedding_case(ids, grad_y, input_dim, rng):
    return dict(ids=ids, grad_y=grad_y, input_dim=input_dim,
                _embeddings=rng.normal(size=(input_dim, grad_y.shape[-1])))


def _embedding_example():
    rng = np.random.default_rng(3)
    ids = np.array([[1, 3, 1], [0, 3, 3]])          # repeated ids: 1 twice, 3 three times
    return _embedding_case(ids, rng.normal(size=(2, 3, 2)).round(1), 5, rng)


def _embedding_draw(draw):
    n, t, dim, vocab = draw.size(1, 3), draw.size(1, 5), draw.size(1, 3), draw.size(2, 6)
    ids = draw.rng.integers(0, vocab, size=(n, t))
    return _embedding_case(ids, draw.normal(n, t, dim), vocab, draw.rng)


def _assigned_rows(i):
    grad = np.zeros((i["input_dim"], i["grad_y"].shape[-1]))
    grad[i["ids"].ravel()] = i["grad_y"].reshape(-1, grad.shape[1])
    return {"grad_embeddings": grad}


EMBEDDING_BACKWARD = Exercise(
    name="embedding_backward",
    summary="the gradient of an embedding table, with repeated ids",
    topic=TOPIC,
    arguments=("ids", "grad_y", "input_dim"),
    returns=("grad_embeddings",),
    docstring="""
The backward pass of an Embedding layer: y[n, t] = E[ids[n, t]].

Parameters
    ids        (N, T) ints          token ids, each in [0, input_dim)
    grad_y     (N, T, output_dim)   dL/dy, one row per looked-up token
    input_dim  int                  the number of rows of the table E

Returns grad_embeddings, shape (input_dim, output_dim):
    row i = the sum of grad_y[n, t] over every position where ids[n, t] == i
    (zero for ids that do not occur). An id may occur several times!
""",
    task=r"""
An Embedding layer looks rows up in a table :math:`E` of shape
``(input_dim, output_dim)``: :math:`y_{n,t} = E_{\mathrm{ids}_{n,t}}`. Every
position that used row :math:`i` contributes its upstream gradient to that row:

.. math::

    \frac{\partial L}{\partial E_i} = \sum_{(n,t):\ \mathrm{ids}_{n,t} = i}
    \frac{\partial L}{\partial y_{n,t}}

Rows whose id never occurs get zero. The same id usually occurs many times in a
batch (every "the" in a text), and each occurrence must be *added*.
""",
    example=_embedding_example,
    draw=_embedding_draw,
    solution=embedding_solution,
    library=("kerastutor.layers.Embedding",),
    hints=(
        "Flatten first: ``ids.ravel()`` (N*T ids) and ``grad_y.reshape(-1, output_dim)`` "
        "(one row each).",
        "``grad[ids] += rows`` does *not* add repeated ids twice: NumPy evaluates "
        "``grad[ids] + rows`` once and then assigns, so the last occurrence wins. "
        "``np.add.at(grad, ids, rows)`` adds every occurrence.",
    ),
    mistakes=(
        Mistake("assignment", "repeated ids are lost: grad[ids] = rows (and grad[ids] += rows, "
                              "which NumPy buffers) keeps only the last occurrence of each "
                              "id. Use np.add.at(grad, ids, rows), which adds every one.",
                _assigned_rows),
    ),
    numerical=Numerical(_embedding_forward, {"grad_embeddings": "_embeddings"}, "grad_y",
                        "Embedding.forward"),
    batch_argument="ids",
)

EXERCISES = (DENSE_BACKWARD, DROPOUT, EMBEDDING_BACKWARD)
