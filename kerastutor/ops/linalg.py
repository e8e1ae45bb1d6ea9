r"""``keras.ops.linalg``: solving, factorising and measuring matrices, with their derivatives.

Matrix functions act on the last two axes; leading axes are a batch. Each
derivative is the matrix-calculus identity written beside its forward
formula (for the inverse, :math:`\bar A = -A^{-\top}\,\bar Y\,A^{-\top}`).
The factorisations themselves (``svd``, ``qr``, ``eigh``, ...) are NumPy's
LAPACK calls; ``lu_factor`` is written out, as its pivoting is the lesson.

Two conventions recur:

* a factorisation whose result is not unique (the signs of eigen- and
  singular vectors, the extra columns of a "complete" ``Q`` or a full ``U``)
  is differentiated through the unique part only;
* an op defined for *symmetric* input (``cholesky``, ``eigh``) reads the
  symmetric part :math:`\tfrac12(A + A^\top)` -- identical for the symmetric
  matrices it is meant for -- so its gradient is the symmetric matrix that
  Keras's backends return.
"""
import numpy as np

from kerastutor import backend
from kerastutor.ops.core import jvp  # noqa: F401  (Keras files it under linalg)
from kerastutor.tape import _record, _record_many, _value


def _t(m):
    """The transpose of each matrix in a batch (the last two axes swapped)."""
    return np.swapaxes(m, -1, -2)


def _sym(m):
    """The symmetric part :math:`\\tfrac12(M + M^\\top)` of each matrix."""
    return (m + _t(m)) / 2


def _matrices(op, x, square=True):
    """The array behind ``x``, checked to be (a batch of) matrices, square if asked."""
    a = _value(x)
    if a.ndim < 2:
        raise ValueError(f"ops.{op}: expected a matrix or a batch of matrices (rank >= 2); "
                         f"got shape {a.shape}. Fix: pass an array of shape (..., M, N).")
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"ops.{op}: expected square matrices; got shape {a.shape}. Fix: "
                         f"pass an array of shape (..., M, M).")
    if a.dtype.kind != "f":
        a = a.astype(backend.floatx())
    return a


def _right_hand_side(op, a, b):
    """``b`` as a batch of matrices, and whether it was a batch of vectors (``(..., M)``)."""
    vector = b.ndim == a.ndim - 1
    if b.ndim < 1 or (vector and b.shape[-1] != a.shape[-1]) or \
            (not vector and b.shape[-2] != a.shape[-2]):
        raise ValueError(f"ops.{op}: `b` must have shape (..., M) or (..., M, K) matching `a` "
                         f"{a.shape}; got {b.shape}.")
    return (b[..., None] if vector else b), vector


# ============================================================ inverse and determinant
def inv(x):
    r"""The inverse :math:`Y = A^{-1}`.

    From :math:`AY = I`, :math:`dY = -Y\,dA\,Y`, so
    :math:`\bar A = -Y^\top \bar Y Y^\top`.
    """
    a = _matrices("inv", x)
    y = np.linalg.inv(a)
    return _record(y, (x,), lambda g: (-_t(y) @ g @ _t(y),))


def det(x):
    r"""The determinant :math:`\det A` (a scalar per matrix).

    Jacobi's formula :math:`d\det A = \det A\,\mathrm{tr}(A^{-1} dA)` gives
    :math:`\bar A = g\,\det A\,A^{-\top}`.
    """
    a = _matrices("det", x)
    d = np.linalg.det(a)
    return _record(d, (x,),
                   lambda g: ((g * d)[..., None, None] * _t(np.linalg.inv(a)),))


def slogdet(x):
    r"""``(sign, log|det A|)``: the determinant without overflow.

    The sign is piecewise constant (no gradient); for the log,
    :math:`d\log|\det A| = \mathrm{tr}(A^{-1} dA)`, so :math:`\bar A = g\,A^{-\top}`.
    """
    a = _matrices("slogdet", x)
    sign, logabs = np.linalg.slogdet(a)
    return sign, _record(logabs, (x,),
                         lambda g: (g[..., None, None] * _t(np.linalg.inv(a)),))


# ====================================================================== solving
def solve(a, b):
    r"""The solution :math:`X = A^{-1}B` of :math:`AX = B` (``b`` of shape ``(..., M)`` or ``(..., M, K)``).

    :math:`dX = A^{-1}(dB - dA\,X)`, so :math:`\bar B = A^{-\top}\bar X`
    (one more solve, with :math:`A^\top`) and :math:`\bar A = -\bar B X^\top`.
    """
    am = _matrices("solve", a)
    bm, vector = _right_hand_side("solve", am, _value(b))
    xm = np.linalg.solve(am, bm)

    def vjp(g):
        gb = np.linalg.solve(_t(am), g[..., None] if vector else g)
        return -gb @ _t(xm), (gb[..., 0] if vector else gb)
    return _record(xm[..., 0] if vector else xm, (a, b), vjp)


def _triangle(m, lower):
    return np.tril(m) if lower else np.triu(m)


def solve_triangular(a, b, lower=False):
    r"""Solve :math:`AX = B` reading only one triangle of :math:`A` (upper unless ``lower``).

    As for :func:`solve`: :math:`\bar B = A^{-\top}\bar X` (:math:`A^\top` is
    triangular the other way) and :math:`\bar A = -\bar B X^\top`, kept on
    the triangle that was read -- the other entries never mattered.
    """
    am = _triangle(_matrices("solve_triangular", a), lower)
    bm, vector = _right_hand_side("solve_triangular", am, _value(b))
    xm = np.linalg.solve(am, bm)

    def vjp(g):
        gb = np.linalg.solve(_t(am), g[..., None] if vector else g)
        return _triangle(-gb @ _t(xm), lower), (gb[..., 0] if vector else gb)
    return _record(xm[..., 0] if vector else xm, (a, b), vjp)


# ==================================================================== Cholesky
def _phi(m):
    """The lower triangle with the diagonal halved (Murray 2016's :math:`\\Phi`)."""
    return np.tril(m) - np.eye(m.shape[-1]) * m / 2


def cholesky(x, upper=False):
    r"""The Cholesky factor: lower-triangular :math:`L` with :math:`A = LL^\top`
    (or :math:`U = L^\top` with ``upper=True``), for symmetric positive-definite :math:`A`.

    Differentiating :math:`A = LL^\top` and multiplying by :math:`L^{-1}` on
    the left and :math:`L^{-\top}` on the right gives
    :math:`L^{-1}dA\,L^{-\top} = L^{-1}dL + (L^{-1}dL)^\top`, whose lower
    triangle (diagonal halved) is :math:`L^{-1}dL`. Reversed (Murray 2016):
    :math:`S = L^{-\top}\,\Phi(L^\top\bar L)\,L^{-1}` and, since only the
    symmetric part of :math:`A` is read, :math:`\bar A = \tfrac12(S + S^\top)`.
    """
    a = _sym(_matrices("cholesky", x))
    try:
        lower = np.linalg.cholesky(a)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"ops.cholesky: the matrix is not positive definite ({error}). Fix: "
                         f"pass a symmetric positive-definite matrix, e.g. B @ B.T + eps * I.")

    def vjp(g):
        g_lower = _t(g) if upper else g
        inv_lower = np.linalg.inv(lower)
        s = _t(inv_lower) @ _phi(_t(lower) @ g_lower) @ inv_lower
        return (_sym(s),)
    return _record(_t(lower) if upper else lower, (x,), vjp)


def cholesky_inverse(x, upper=False):
    r""":math:`A^{-1}` from its Cholesky factor: :math:`Y = (LL^\top)^{-1}`, or
    :math:`(U^\top U)^{-1}` with ``upper=True``.

    Computed as :math:`L^{-\top}L^{-1}`. From :math:`dY = -Y(dL\,L^\top + L\,dL^\top)Y`
    and the symmetry of :math:`Y`: :math:`\bar L = -Y(\bar Y + \bar Y^\top)Y\,L`
    (and :math:`\bar U = -U\,Y(\bar Y + \bar Y^\top)Y`).
    """
    factor = _matrices("cholesky_inverse", x)
    inv_factor = np.linalg.inv(factor)
    y = inv_factor @ _t(inv_factor) if upper else _t(inv_factor) @ inv_factor

    def vjp(g):
        middle = -y @ (g + _t(g)) @ y
        return (factor @ middle if upper else middle @ factor,)
    return _record(y, (x,), vjp)


# ========================================================== eigen decompositions
def _gap_matrix(w):
    r""":math:`F_{ij} = 1/(\lambda_j - \lambda_i)` off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    eye = np.eye(w.shape[-1], dtype=bool)
    return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gaps))


def eigh(x):
    r"""Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix:
    :math:`A = V\,\mathrm{diag}(\lambda)\,V^\top`.

    First-order perturbation theory: :math:`d\lambda_i = v_i^\top dA\,v_i` and
    :math:`dv_j = \sum_{i\ne j} v_i\,\frac{v_i^\top dA\,v_j}{\lambda_j-\lambda_i}`.
    Reversed: :math:`\bar A = V\big(\mathrm{diag}(\bar\lambda) + F\circ(V^\top\bar V)\big)V^\top`
    with :math:`F_{ij} = 1/(\lambda_j-\lambda_i)`, symmetrised (only the
    symmetric part of :math:`A` is read). Repeated eigenvalues make
    :math:`F` infinite: the eigenvectors are not unique there.
    """
    a = _sym(_matrices("eigh", x))
    w, v = np.linalg.eigh(a)

    def vjp(grads):
        gw, gv = grads
        inner = _gap_matrix(w) * (_t(v) @ gv) + gw[..., None, :] * np.eye(w.shape[-1])
        return (_sym(v @ inner @ _t(v)),)
    return _record_many((w, v), (x,), vjp)


def _eig_complex_vjp(grads):
    raise NotImplementedError(
        "ops.eig: this matrix has complex eigenvalues, and kerastutor differentiates eig only "
        "where the spectrum is real. Fix: for a symmetric matrix use ops.eigh; otherwise "
        "differentiate a real function of A another way.")


def eig(x):
    r"""Eigenvalues and unit-norm eigenvectors of a general square matrix:
    :math:`A = V\,\mathrm{diag}(\lambda)\,V^{-1}`.

    As in NumPy, the results are real when every eigenvalue is real and
    complex otherwise. The derivative is written for the real case:
    :math:`\bar A = V^{-\top}\big(\mathrm{diag}(\bar\lambda) + F\circ(V^\top\bar V
    - V^\top V\,\mathrm{diag}(\mathrm{diag}(V^\top\bar V)))\big)V^\top`, with
    :math:`F_{ij} = 1/(\lambda_j-\lambda_i)`; the subtracted term keeps each
    eigenvector at unit norm. With complex eigenvalues the backward pass
    raises (kerastutor's tape is real).
    """
    a = _matrices("eig", x)
    w, v = np.linalg.eig(a)
    if np.iscomplexobj(w):
        return _record_many((w, v), (x,), _eig_complex_vjp)

    def vjp(grads):
        gw, gv = grads
        vtgv = _t(v) @ gv
        normalised = vtgv - (_t(v) @ v) * np.diagonal(vtgv, axis1=-2, axis2=-1)[..., None, :]
        inner = _gap_matrix(w) * normalised + gw[..., None, :] * np.eye(w.shape[-1])
        return (np.linalg.solve(_t(v), inner @ _t(v)),)
    return _record_many((w, v), (x,), vjp)


# ====================================================================== SVD
def _svd_grad(u, s, vh, gu, gs, gvh):
    r"""The reverse of the reduced SVD :math:`A = U\,\mathrm{diag}(s)\,V^\top`.

    :math:`\bar A = U\big[\,\tfrac{J-J^\top}{E}S + S\,\tfrac{K-K^\top}{E} + \mathrm{diag}(\bar s)\big]V^\top
    + (I - UU^\top)\bar U S^{-1}V^\top + U S^{-1}\bar V^\top(I - VV^\top)`,
    with :math:`J = U^\top\bar U`, :math:`K = V^\top\bar V`,
    :math:`E_{ij} = s_j^2 - s_i^2`. The last two terms vanish for square matrices.
    """
    k = s.shape[-1]
    eye = np.eye(k)
    inv_gaps = _gap_matrix(s ** 2)
    j = _t(u) @ gu
    kk = vh @ _t(gvh)                                   # V^T gV, with gV = gVh^T
    core = ((j - _t(j)) * inv_gaps) * s[..., None, :] + s[..., :, None] * ((kk - _t(kk)) * inv_gaps)
    core = core + gs[..., None, :] * eye
    grad = u @ core @ vh
    grad = grad + (gu - u @ j) / s[..., None, :] @ vh
    grad = grad + u @ ((gvh - (gvh @ _t(vh)) @ vh) / s[..., :, None])
    return grad


def svd(x, full_matrices=True, compute_uv=True):
    r"""Singular value decomposition :math:`A = U\,\mathrm{diag}(s)\,V^\top`:
    returns ``(u, s, vh)`` (``vh`` is :math:`V^\top`), or ``s`` alone.

    The singular values descend; for ``s`` alone :math:`\bar A = U\,\mathrm{diag}(\bar s)\,V^\top`.
    The vectors' derivative is the formula in :func:`_svd_grad` (repeated
    singular values make it infinite). With ``full_matrices=True`` and a
    non-square matrix, the extra columns of ``u`` (or rows of ``vh``) are any
    orthonormal completion: they pass no gradient (as in Keras's torch backend).
    """
    a = _matrices("svd", x, square=False)
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return _record(s, (x,), lambda g: (u @ (g[..., :, None] * vh),))
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]

    def vjp(grads):
        gu, gs, gvh = grads
        return (_svd_grad(u[..., :, :k], s, vh[..., :k, :], gu[..., :, :k], gs,
                          gvh[..., :k, :]),)
    return _record_many((u, s, vh), (x,), vjp)


# ======================================================================= QR
def _copyltu(m):
    """The symmetric matrix with ``m``'s lower triangle (and diagonal)."""
    return np.tril(m) + _t(np.tril(m, -1))


def _qr_grad_tall(q, r, gq, gr):
    r""":math:`\bar A = (\bar Q + Q\,\mathrm{copyltu}(M))R^{-\top}`, :math:`M = R\bar R^\top - \bar Q^\top Q`."""
    m = r @ _t(gr) - _t(gq) @ q
    rhs = gq + q @ _copyltu(m)
    return _t(np.linalg.solve(r, _t(rhs)))             # rhs R^{-T}, by one solve with R


def qr(x, mode="reduced"):
    r"""QR decomposition :math:`A = QR`: orthonormal columns :math:`Q`, upper-triangular :math:`R`.

    ``mode="reduced"`` gives :math:`Q` of shape :math:`(M, K)` and :math:`R`
    of :math:`(K, N)`, :math:`K=\min(M,N)`; ``"complete"`` a square :math:`Q`.

    Tall or square (:math:`M \ge N`): :math:`\bar A = (\bar Q + Q\,\mathrm{copyltu}(M))R^{-\top}`
    with :math:`M = R\bar R^\top - \bar Q^\top Q` (copyltu mirrors the lower
    triangle). Wide: split :math:`A = [X\,|\,Y]`, :math:`R = [U\,|\,V]`; then
    :math:`Y = QV` gives :math:`\bar Y = Q\bar V`, and :math:`X = QU` is the
    square case with :math:`\bar Q + Y\bar V^\top`. The extra columns of a
    complete :math:`Q` (when :math:`M > N`) are any orthonormal completion:
    a loss that uses them has no derivative, and the backward pass says so.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"ops.qr: `mode` must be 'reduced' or 'complete'; got {mode!r}.")
    a = _matrices("qr", x, square=False)
    q, r = np.linalg.qr(a, mode=mode)
    rows, cols = a.shape[-2:]
    k = min(rows, cols)

    def vjp(grads):
        gq, gr = grads
        if np.any(gq[..., :, k:]):
            raise ValueError(
                "ops.qr: the loss uses the extra columns of a complete Q (mode='complete' with "
                "more rows than columns); they are an arbitrary orthonormal completion and "
                "have no derivative. Fix: use mode='reduced', or only Q[..., :, :N] and R.")
        qk, gq, rk, gr = q[..., :, :k], gq[..., :, :k], r[..., :k, :], gr[..., :k, :]
        if rows >= cols:
            return (_qr_grad_tall(qk, rk, gq, gr),)
        square = rk[..., :, :rows]
        g_square, g_rest = gr[..., :, :rows], gr[..., :, rows:]
        grad_rest = qk @ g_rest
        grad_square = _qr_grad_tall(qk, square, gq + a[..., :, rows:] @ _t(g_rest), g_square)
        return (np.concatenate([grad_square, grad_rest], axis=-1),)
    return _record_many((q, r), (x,), vjp)


# ====================================================================== LU
def _lu_with_pivots(a):
    """Doolittle elimination with partial pivoting, on a batch at once.

    Returns the packed factors (unit-lower :math:`L` below the diagonal,
    :math:`U` on and above it), LAPACK's pivots (row ``j`` was swapped with row
    ``pivots[j]``) and ``perm`` (the rows of ``A`` in the order ``LU`` has them).
    """
    lu = a.astype(np.result_type(a.dtype, np.float32), copy=True)
    rows, cols = lu.shape[-2:]
    batch = lu.shape[:-2]
    pivots = np.zeros(batch + (min(rows, cols),), np.int32)
    perm = np.broadcast_to(np.arange(rows), batch + (rows,)).copy()
    for j in range(min(rows, cols)):                     # one column per step
        p = j + np.argmax(np.abs(lu[..., j:, j]), axis=-1)   # the largest pivot, per matrix
        pivots[..., j] = p
        order = np.broadcast_to(np.arange(rows), batch + (rows,)).copy()
        np.put_along_axis(order, p[..., None], j, axis=-1)
        order[..., j] = p                                # swap rows j and p
        lu = np.take_along_axis(lu, order[..., None], axis=-2)
        perm = np.take_along_axis(perm, order, axis=-1)
        lu[..., j + 1:, j] /= lu[..., j, j][..., None]   # the multipliers: column j of L
        lu[..., j + 1:, j + 1:] -= lu[..., j + 1:, j, None] * lu[..., j, None, j + 1:]
    return lu, pivots, perm


def _lu_grad_square(lower, upper, g_lower, g_upper):
    r""":math:`\bar A' = L^{-\top}\big(\mathrm{tril}_{-1}(L^\top\bar L) + \mathrm{triu}(\bar U U^\top)\big)U^{-\top}`."""
    middle = np.tril(_t(lower) @ g_lower, -1) + np.triu(g_upper @ _t(upper))
    left = np.linalg.solve(_t(lower), middle)
    return _t(np.linalg.solve(upper, _t(left)))


def lu_factor(x):
    r"""LU factorisation with partial pivoting, :math:`PA = LU`, packed as LAPACK does.

    Returns ``(lu, pivots)``: :math:`L` (unit diagonal, not stored) below the
    diagonal and :math:`U` on and above it, and the 0-based row swaps
    (``int32``, no gradient). At step :math:`j` the row with the largest
    :math:`|a_{ij}|` is swapped up (stability), then the rows below subtract
    multiples of it.

    For square :math:`A' = PA = LU`: :math:`F = L^{-1}dA'\,U^{-1} = L^{-1}dL + dU\,U^{-1}`
    splits into its strictly lower part (:math:`L^{-1}dL`) and its upper part
    (:math:`dU\,U^{-1}`), so
    :math:`\bar A' = L^{-\top}\big(\mathrm{tril}_{-1}(L^\top\bar L) + \mathrm{triu}(\bar U U^\top)\big)U^{-\top}`,
    and the rows go back through :math:`P`. A tall matrix adds rows
    :math:`A_2 = L_2 U` (:math:`\bar A_2 = \bar L_2 U^{-\top}`, :math:`\bar U \mathrel{-}= L_2^\top\bar A_2`),
    a wide one columns :math:`A_2 = L U_2` (:math:`\bar A_2 = L^{-\top}\bar U_2`,
    :math:`\bar L \mathrel{-}= \bar A_2 U_2^\top`).
    """
    a = _matrices("lu_factor", x, square=False)
    packed, pivots, perm = _lu_with_pivots(a)
    rows, cols = a.shape[-2:]
    k = min(rows, cols)
    lower = np.tril(packed[..., :, :k], -1) + np.eye(rows, k, dtype=packed.dtype)
    upper = np.triu(packed[..., :k, :])

    def vjp(g):
        g_lower, g_upper = np.tril(g[..., :, :k], -1), np.triu(g[..., :k, :])
        l1, u1 = lower[..., :k, :], upper[..., :, :k]
        gl1, gu1 = g_lower[..., :k, :], g_upper[..., :, :k]
        if rows > cols:                                  # rows below the square: A2 = L2 U
            grad_below = _t(np.linalg.solve(u1, _t(g_lower[..., k:, :])))
            gu1 = gu1 - _t(lower[..., k:, :]) @ grad_below
            grad = np.concatenate([_lu_grad_square(l1, u1, gl1, gu1), grad_below], axis=-2)
        elif cols > rows:                                # columns to the right: A2 = L U2
            grad_right = np.linalg.solve(_t(l1), g_upper[..., :, k:])
            gl1 = gl1 - grad_right @ _t(upper[..., :, k:])
            grad = np.concatenate([_lu_grad_square(l1, u1, gl1, gu1), grad_right], axis=-1)
        else:
            grad = _lu_grad_square(l1, u1, gl1, gu1)
        unpermuted = np.zeros_like(grad)
        np.put_along_axis(unpermuted, perm[..., None], grad, axis=-2)   # row i of PA is row perm[i]
        return (unpermuted,)
    return _record(packed, (x,), vjp), pivots


# ================================================================= pseudo-inverse
def _pinv_grad(a, p, g):
    r"""The reverse of :math:`P = A^+` at constant rank (Golub & Pereyra):
    :math:`\bar A = -P^\top\bar P P^\top + (I - AP)\bar P^\top P P^\top + P^\top P\bar P^\top(I - PA)`.
    """
    gt = _t(g)
    return (-_t(p) @ g @ _t(p)
            + (gt - a @ (p @ gt)) @ (p @ _t(p))
            + (_t(p) @ p) @ (gt - (gt @ p) @ a))


def pinv(x, rcond=None):
    r"""Moore-Penrose pseudo-inverse :math:`A^+ = V\,\mathrm{diag}(1/s)\,U^\top`
    (singular values below ``rcond`` times the largest count as zero).

    Its derivative at constant rank (Golub & Pereyra 1973) is in :func:`_pinv_grad`;
    for an invertible matrix it reduces to the inverse's, :math:`-P^\top\bar P P^\top`.
    """
    a = _matrices("pinv", x, square=False)
    p = np.linalg.pinv(a) if rcond is None else np.linalg.pinv(a, rcond=rcond)
    return _record(p, (x,), lambda g: (_pinv_grad(a, p, g),))


def lstsq(a, b, rcond=None):
    r"""Least squares: the :math:`x` minimising :math:`\lVert Ax - b\rVert_2`
    (the shortest one if several do), i.e. :math:`x = A^+ b`.

    ``a`` has shape ``(M, N)``, ``b`` ``(M,)`` or ``(M, K)``. Gradients:
    :math:`\bar b = A^{+\top}\bar x`, and :math:`\bar A` is the pseudo-inverse's
    gradient for :math:`\bar P = \bar x\, b^\top`.
    """
    am, bm = _value(a), _value(b)
    if am.ndim != 2 or bm.ndim not in (1, 2) or bm.shape[0] != am.shape[0]:
        raise ValueError(f"ops.lstsq: `a` must have shape (M, N) and `b` (M,) or (M, K); got "
                         f"a.shape={am.shape}, b.shape={bm.shape}.")
    if am.dtype.kind != "f":
        am = am.astype(backend.floatx())
    p = np.linalg.pinv(am) if rcond is None else np.linalg.pinv(am, rcond=rcond)
    solution = np.linalg.lstsq(am, bm.astype(am.dtype), rcond=rcond)[0]

    def vjp(g):
        g2, b2 = (g[:, None], bm[:, None]) if bm.ndim == 1 else (g, bm)
        grad_b = _t(p) @ g2
        return _pinv_grad(am, p, g2 @ _t(b2)), (grad_b[:, 0] if bm.ndim == 1 else grad_b)
    return _record(solution, (a, b), vjp)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (an ``int32`` count: no gradient)."""
    a = _matrices("matrix_rank", x, square=False)
    return np.asarray(np.linalg.matrix_rank(a, tol=tol)).astype(np.int32)


# ====================================================================== norms
_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


def _winners(values, axis, pick):
    """Where ``values`` reaches its max/min along ``axis``, ties sharing equally."""
    best = pick(values, axis=axis, keepdims=True)
    hits = values == best
    return best, hits / hits.sum(axis=axis, keepdims=True)


def _vector_norm(a, ord, axes):
    """``(value with kept axes, vjp on kept-axes g)`` of a vector norm over ``axes``."""
    size = np.abs(a)
    if ord is None or ord == 2:
        out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        return out, lambda g: g * a / np.where(out == 0, 1, out)
    if ord in (np.inf, -np.inf):
        out, share = _winners(size, axes, np.max if ord > 0 else np.min)
        return out, lambda g: g * np.sign(a) * share
    out = (size ** ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
    return out, lambda g: g * np.sign(a) * size ** (ord - 1) * out ** (1 - ord)


def _matrix_norm(a, ord, rows, cols):
    """``(value with kept axes, vjp)`` of a matrix norm of the ``(rows, cols)`` matrices."""
    if ord in (None, "fro"):
        return _vector_norm(a, None, (rows, cols))
    m = np.moveaxis(a, (rows, cols), (-2, -1))
    back = lambda grad: np.moveaxis(grad, (-2, -1), (rows, cols))        # noqa: E731
    keep = lambda v: np.expand_dims(v, (rows, cols) if rows < cols else (cols, rows))  # noqa
    drop = lambda g: np.squeeze(np.moveaxis(g, (rows, cols), (-2, -1)), (-2, -1))      # noqa
    if ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":                     # sum of s: every pair u_i v_i^T
            return keep(s.sum(-1)), lambda g: back(drop(g)[..., None, None] * (u @ vh))
        i = 0 if ord == 2 else -1            # the largest (or smallest) singular value
        outer = u[..., :, i, None] * vh[..., i, None, :]
        return keep(s[..., i]), lambda g: back(drop(g)[..., None, None] * outer)
    # 1 / -1: the largest (smallest) column sum of |A|; inf / -inf: row sums.
    along = -2 if ord in (1, -1) else -1
    sums = np.abs(m).sum(axis=along, keepdims=True)
    out, share = _winners(sums, -1 if along == -2 else -2, np.max if ord > 0 else np.min)
    value = np.squeeze(out, (-2, -1))
    return keep(value), lambda g: back(drop(g)[..., None, None] * np.sign(m) * share)


def norm(x, ord=None, axis=None, keepdims=False):
    r"""Vector or matrix norms (``axis`` an int, or a pair of axes holding matrices).

    Vectors: :math:`\lVert x\rVert_p = (\sum|x_i|^p)^{1/p}`, with gradient
    :math:`g\,\mathrm{sign}(x)\,|x|^{p-1}/\lVert x\rVert_p^{p-1}` (for ``p=2``,
    :math:`g\,x/\lVert x\rVert`); ``inf``/``-inf`` take the largest/smallest
    :math:`|x_i|`, whose entry alone gets :math:`g\,\mathrm{sign}(x_i)`;
    ``ord=0`` counts non-zeros (no gradient).

    Matrices: ``"fro"`` as the 2-norm of all entries; ``"nuc"``
    :math:`\sum s_i` (:math:`\bar A = g\,UV^\top`); ``2``/``-2`` the
    largest/smallest singular value (:math:`\bar A = g\,u_i v_i^\top`);
    ``1``/``-1`` the largest/smallest column sum of :math:`|A|` and
    ``inf``/``-inf`` the row sums (:math:`g\,\mathrm{sign}(A)` on the winning column or row).
    """
    a = _value(x)
    if a.dtype.kind != "f":
        a = a.astype(backend.floatx())
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"ops.norm: a string `ord` must be 'fro' or 'nuc'; got {ord!r}.")
    if axis is None:
        axes = tuple(range(a.ndim)) if ord is None or a.ndim == 2 else (0,)
        if ord is not None and a.ndim > 2:
            raise ValueError(f"ops.norm: with `ord`={ord!r} and no `axis`, `x` must be 1-D or "
                             f"2-D; got shape {a.shape}. Fix: pass axis=-1 or axis=(-2, -1).")
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(ax % a.ndim for ax in axes) if a.ndim else axes
    if len(axes) == 2 and not (ord is None and axis is None):
        if ord not in _MATRIX_ORDS:
            raise ValueError(f"ops.norm: matrix norms take `ord` in {_MATRIX_ORDS}; got {ord!r}.")
        out, vjp = _matrix_norm(a, ord, *axes)
    else:
        if isinstance(ord, str):
            raise ValueError(f"ops.norm: `ord`={ord!r} is a matrix norm; vectors (one axis) "
                             f"take a number. Fix: pass axis=(-2, -1) or a numeric ord.")
        if ord == 0:                                   # a count: piecewise constant
            count = (a != 0).sum(axis=axes, keepdims=keepdims).astype(a.dtype)
            return count
        out, vjp = _vector_norm(a, ord, axes)
    result = out if keepdims else np.squeeze(out, axes)
    result = np.asarray(result, dtype=a.dtype)
    return _record(result, (x,),
                   lambda g: (vjp(g if keepdims else np.expand_dims(g, axes)),))


__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor",
           "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd", "jvp"]
