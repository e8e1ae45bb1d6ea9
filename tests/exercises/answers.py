"""A learner's answers to the exercises, written from the formulas alone (no kerastutor).

``RIGHT[name]`` is a correct, vectorised answer: the graders must accept an
independent implementation, not only the library's own. ``WRONG`` lists typical
wrong answers -- each with the mistake code and a phrase the report must show.
"""
import numpy as np


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------------------------ right answers
def dense_backward(x, W, b, grad_y):
    return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0)


def dropout(x, mask, rate, grad_y):
    scale = mask / (1.0 - rate)
    return x * scale, grad_y * scale


def embedding_backward(ids, grad_y, input_dim):
    grad = np.zeros((input_dim, grad_y.shape[-1]), dtype=grad_y.dtype)
    np.add.at(grad, ids.ravel(), grad_y.reshape(-1, grad_y.shape[-1]))
    return grad


def relu_derivative(x):
    return (x > 0).astype(x.dtype)


def sigmoid_derivative(x):
    s = _sigmoid(x)
    return s * (1 - s)


def tanh_derivative(x):
    return 1 - np.tanh(x) ** 2


def softmax_crossentropy_backward(logits, y_true):
    return (_softmax(logits) - y_true) / len(logits)


def mse(y_true, y_pred):
    diff = y_pred - y_true
    return np.mean(diff ** 2), 2 * diff / diff.size


def conv2d_forward(x, kernel, bias):
    kh, kw = kernel.shape[:2]
    h_out, w_out = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], h_out, w_out, kernel.shape[3])) + bias
    for a in range(kh):
        for b in range(kw):
            y += x[:, a:a + h_out, b:b + w_out, :] @ kernel[a, b]
    return y


def conv2d_backward(x, kernel, grad_y, assign=False):
    _, h_out, w_out, _ = grad_y.shape
    grad_x, grad_kernel = np.zeros_like(x), np.zeros_like(kernel)
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            window = x[:, a:a + h_out, b:b + w_out, :]
            grad_kernel[a, b] = np.tensordot(window, grad_y, axes=([0, 1, 2], [0, 1, 2]))
            if assign:
                grad_x[:, a:a + h_out, b:b + w_out, :] = grad_y @ kernel[a, b].T
            else:
                grad_x[:, a:a + h_out, b:b + w_out, :] += grad_y @ kernel[a, b].T
    return grad_x, grad_kernel, grad_y.sum(axis=(0, 1, 2))


def max_pool_backward(x, grad_y, spread=None):
    n, h, w, c = x.shape
    h_out, w_out = h // 2, w // 2
    windows = x[:, :2 * h_out, :2 * w_out].reshape(n, h_out, 2, w_out, 2, c)
    winners = windows == windows.max(axis=(2, 4), keepdims=True)
    if spread is not None:
        winners = np.full(winners.shape, spread)
    grads = winners * grad_y[:, :, None, :, None, :]
    grad_x = np.zeros_like(x)
    grad_x[:, :2 * h_out, :2 * w_out] = grads.reshape(n, 2 * h_out, 2 * w_out, c)
    return grad_x


def batch_normalization_backward(x, gamma, beta, grad_y, epsilon=1e-3):
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + epsilon)
    x_hat = (x - x.mean(axis=0)) * inv_std
    g = grad_y * gamma
    grad_x = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return grad_x, (grad_y * x_hat).sum(axis=0), grad_y.sum(axis=0)


def simple_rnn_bptt(x, W, U, b, grad_h, through_time=True):
    n, steps, _ = x.shape
    hs = [np.zeros((n, W.shape[1]))]
    for t in range(steps):
        hs.append(np.tanh(x[:, t] @ W + hs[-1] @ U + b))
    grad_x, grad_W, grad_U = np.zeros_like(x), np.zeros_like(W), np.zeros_like(U)
    grad_b, from_future = np.zeros_like(b), np.zeros_like(hs[0])
    for t in reversed(range(steps)):
        delta = (1 - hs[t + 1] ** 2) * (grad_h[:, t] + from_future)
        grad_x[:, t] = delta @ W.T
        grad_W += x[:, t].T @ delta
        grad_U += hs[t].T @ delta
        grad_b += delta.sum(axis=0)
        from_future = delta @ U.T if through_time else 0.0
    return grad_x, grad_W, grad_U, grad_b


def lstm_cell_backward(x, h_prev, c_prev, W, U, b, grad_h, grad_c, order="ifco"):
    a = x @ W + h_prev @ U + b
    blocks = dict(zip(order, np.split(a, 4, axis=-1)))
    i, f, o = _sigmoid(blocks["i"]), _sigmoid(blocks["f"]), _sigmoid(blocks["o"])
    g = np.tanh(blocks["c"])
    c = f * c_prev + i * g
    dc = grad_c + grad_h * o * (1 - np.tanh(c) ** 2)
    gates = {"i": dc * g * i * (1 - i), "f": dc * c_prev * f * (1 - f),
             "c": dc * i * (1 - g ** 2), "o": grad_h * np.tanh(c) * o * (1 - o)}
    delta = np.concatenate([gates[k] for k in order], axis=-1)
    return (delta @ W.T, delta @ U.T, dc * f, x.T @ delta, h_prev.T @ delta,
            delta.sum(axis=0))


def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return w + velocity, velocity


def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def precision_recall(y_true, y_pred, threshold):
    flagged, actual = y_pred > threshold, y_true != 0
    tp = np.sum(flagged & actual)
    fp, fn = np.sum(flagged & ~actual), np.sum(~flagged & actual)
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


RIGHT = {f.__name__: f for f in (
    dense_backward, dropout, embedding_backward, relu_derivative, sigmoid_derivative,
    tanh_derivative, softmax_crossentropy_backward, mse, conv2d_forward, conv2d_backward,
    max_pool_backward, batch_normalization_backward, simple_rnn_bptt, lstm_cell_backward,
    sgd_momentum_step, adam_step, precision_recall)}


# ------------------------------------------------------------------------ wrong answers
def _adam_paper(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _adam_uncorrected(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v


def _adam_from_zero(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    return adam_step(w, grad, m, v, t - 1 if t > 1 else t + 1, learning_rate, beta_1,
                     beta_2, epsilon)


def _embedding_assigned(ids, grad_y, input_dim):
    grad = np.zeros((input_dim, grad_y.shape[-1]))
    grad[ids.ravel()] += grad_y.reshape(-1, grad_y.shape[-1])    # buffered: repeats lost
    return grad


def _bn_constant_statistics(x, gamma, beta, grad_y):
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + 1e-3)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return grad_y * gamma * inv_std, (grad_y * x_hat).sum(axis=0), grad_y.sum(axis=0)


def _bn_unbiased(x, gamma, beta, grad_y):
    inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=1) + 1e-3)
    x_hat = (x - x.mean(axis=0)) * inv_std
    g = grad_y * gamma
    grad_x = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return grad_x, (grad_y * x_hat).sum(axis=0), grad_y.sum(axis=0)


def _precision_unguarded(y_true, y_pred, threshold):
    flagged, actual = y_pred > threshold, y_true != 0
    tp = np.sum(flagged & actual)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.float64(tp) / np.sum(flagged),
                np.float64(tp) / np.sum(actual))


def _precision_inclusive(y_true, y_pred, threshold):
    return precision_recall(y_true, y_pred + (y_pred == threshold) * 1e-9, threshold)


# (exercise, wrong answer, mistake code, phrase the report must contain)
WRONG = [
    ("dense_backward", lambda x, W, b, g: (g @ W.T, g.T @ x, g.sum(0)), "transpose",
     "transpose"),
    ("dense_backward", lambda x, W, b, g: (g @ W.T, x.T @ g, g), "batch_sum", "sum"),
    ("dense_backward", lambda x, W, b, g: (g @ W.T, x.T @ g / len(x), g.sum(0)), "scale",
     "extra 1/N"),
    ("dense_backward", lambda x, W, b, g: (-g @ W.T, x.T @ g, g.sum(0)), "sign",
     "sign is flipped"),
    ("dropout", lambda x, m, r, g: (x * m, g * m), "no_scale", "1/(1 - rate)"),
    ("dropout", lambda x, m, r, g: (x * m / (1 - r), g / (1 - r)), "no_mask", "mask"),
    ("embedding_backward", _embedding_assigned, "assignment", "np.add.at"),
    ("relu_derivative", lambda x: x > 0, "dtype", "astype"),
    ("relu_derivative", lambda x: np.maximum(x, 0), "function_itself", "relu(x) itself"),
    ("sigmoid_derivative", lambda x: x * (1 - x), "input_for_output", "OUTPUT"),
    ("tanh_derivative", lambda x: 1 - x ** 2, "input_for_output", "OUTPUT"),
    ("tanh_derivative", lambda x: 1 - np.tanh(x), "no_square", "squared"),
    ("softmax_crossentropy_backward", lambda z, y: _softmax(z) - y, "scale", "missing 1/N"),
    ("softmax_crossentropy_backward", lambda z, y: (y - _softmax(z)) / len(z), "sign",
     "sign is flipped"),
    ("softmax_crossentropy_backward", lambda z, y: _softmax(z) / len(z), "no_target",
     "target"),
    ("mse", lambda t, p: (np.mean((p - t) ** 2), (p - t) / p.size), "scale", "factor 2"),
    ("mse", lambda t, p: (np.mean((p - t) ** 2), 2 * (p - t) / len(p)), "scale",
     "mean over the last axis"),
    ("mse", lambda t, p: (np.mean((p - t) ** 2), 2 * (t - p) / p.size), "sign",
     "sign is flipped"),
    ("conv2d_forward", lambda x, k, b: conv2d_forward(x, k[::-1, ::-1], b), "flipped_kernel",
     "cross-correlation"),
    ("conv2d_forward", lambda x, k, b: conv2d_forward(x, k, 0 * b), "no_bias", "bias"),
    ("conv2d_backward", lambda x, k, g: conv2d_backward(x, k, g)[:2] + (g,), "batch_sum",
     "SUM"),
    ("conv2d_backward", lambda x, k, g: conv2d_backward(x, k, g, assign=True),
     "overwritten_windows", "+="),
    ("max_pool_backward", lambda x, g: max_pool_backward(x, g, spread=0.25), "average",
     "average pooling"),
    ("max_pool_backward", lambda x, g: max_pool_backward(x, g, spread=1.0), "no_mask",
     "only the maximum"),
    ("batch_normalization_backward", _bn_constant_statistics, "constant_statistics",
     "constants"),
    ("batch_normalization_backward", _bn_unbiased, "unbiased_variance", "biased variance"),
    ("batch_normalization_backward",
     lambda x, gm, bt, g: batch_normalization_backward(x, gm, bt, g, epsilon=0.0),
     "no_epsilon", "epsilon"),
    ("simple_rnn_bptt", lambda *a: simple_rnn_bptt(*a, through_time=False), "truncated",
     "through time"),
    ("lstm_cell_backward", lambda *a: lstm_cell_backward(*a, order="ifoc"), "gate_order",
     "[i, f, c, o]"),
    ("lstm_cell_backward", lambda x, h, c, W, U, b, gh, gc:
     lstm_cell_backward(x, h, c, W, U, b, gh, 0 * gc), "no_grad_c", "grad_c"),
    ("sgd_momentum_step", lambda w, g, v, lr, mu: (w - lr * (mu * v + g), mu * v + g),
     "pytorch_momentum", "PyTorch"),
    ("sgd_momentum_step", lambda w, g, v, lr, mu: (w - (mu * v + lr * g), mu * v + lr * g),
     "uphill_velocity", "downhill"),
    ("adam_step", _adam_uncorrected, "no_bias_correction", "bias correction"),
    ("adam_step", _adam_paper, "paper_epsilon", "paper"),
    ("adam_step", _adam_from_zero, "step_off_by_one", "t counts from 1"),
    ("precision_recall", lambda t, p, th: precision_recall(t, p, th)[::-1], "swapped",
     "swapped"),
    ("precision_recall", _precision_inclusive, "threshold_inclusive", "not >="),
    ("precision_recall", _precision_unguarded, "nan", "NaN"),
]
