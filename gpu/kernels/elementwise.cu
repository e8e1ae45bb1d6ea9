// Elementwise kernels: y = f(x), z = f(a, b), z = where(c, a, b), with NumPy
// broadcasting and strided (non-contiguous) inputs.
//
// Mapping: one thread per OUTPUT element. Thread i of block b handles
//     i_global = b * blockDim.x + i,
// and a "grid-stride loop" lets a grid of any size cover any n: after its first
// element a thread jumps ahead by the total number of threads in the grid.
// The output is always written contiguously, so neighbouring threads write
// neighbouring addresses and a warp's 32 stores coalesce into a few wide memory
// transactions. These kernels are limited by memory bandwidth, not arithmetic.

#define MAX_RANK 8

// How the output's elements map to each input's elements, passed by value (it
// lands in the kernel's constant parameter space). For each output axis: its
// size, and the stride of each input along it, in elements. A stride of 0 is
// broadcasting: every index along that axis reads the same input element. Any
// other strides describe a view -- a transpose, a slice, a sliding window --
// read in place, without copying it first.
struct Layout {
    int rank;
    int shape[MAX_RANK];
    long long strides[3][MAX_RANK];   // operand 0, 1, 2 (unused ones are zero)
};

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// The flat output index is unravelled axis by axis, last axis fastest (C order);
// each coordinate times an operand's stride along that axis gives its offset.
__device__ inline long long offset_of(const Layout& L, int operand, long long flat) {
    long long offset = 0;
    for (int axis = L.rank - 1; axis >= 0; --axis) {
        long long coord = flat % L.shape[axis];
        flat /= L.shape[axis];
        offset += coord * L.strides[operand][axis];
    }
    return offset;
}

// ---- unary: y[i] = f(x[...]) ----------------------------------------------------------
#define UNARY(name, expr)                                                              \
    extern "C" __global__ void name(const float* x, float* y, long long n, Layout L) { \
        GRID_STRIDE_LOOP(i, n) { float v = x[offset_of(L, 0, i)]; y[i] = (expr); }    \
    }

// Lesson 6 follows this first one from its source to the GPU.
UNARY(unary_relu, v > 0.0f ? v : 0.0f)
UNARY(unary_copy, v)                     // a view made contiguous (also: astype, copy)
UNARY(unary_neg, -v)
UNARY(unary_abs, fabsf(v))
UNARY(unary_sign, (float)((v > 0.0f) - (v < 0.0f)))
UNARY(unary_exp, expf(v))
UNARY(unary_expm1, expm1f(v))
UNARY(unary_log, logf(v))
UNARY(unary_log1p, log1pf(v))
UNARY(unary_sqrt, sqrtf(v))
UNARY(unary_square, v * v)
UNARY(unary_reciprocal, 1.0f / v)
UNARY(unary_tanh, tanhf(v))
UNARY(unary_sin, sinf(v))
UNARY(unary_cos, cosf(v))
UNARY(unary_erf, erff(v))
UNARY(unary_floor, floorf(v))
UNARY(unary_ceil, ceilf(v))
UNARY(unary_trunc, truncf(v))
UNARY(unary_rint, rintf(v))              // round half to even, as np.round
UNARY(unary_isfinite, isfinite(v) ? 1.0f : 0.0f)
UNARY(unary_isnan, isnan(v) ? 1.0f : 0.0f)
UNARY(unary_isinf, isinf(v) ? 1.0f : 0.0f)
UNARY(unary_logical_not, v == 0.0f ? 1.0f : 0.0f)

// ---- binary with broadcasting: z[i] = f(a[...], b[...]) ------------------------------------
// Each BINARY line makes three kernels, so a Python scalar never has to be copied
// to the GPU: `name` (two arrays), `name##_as` (array, scalar) and `name##_sa`
// (scalar, array) -- the scalar travels as a kernel argument.
#define BINARY(name, expr)                                                              \
    extern "C" __global__ void name(const float* a, const float* b, float* z,          \
                                    long long n, Layout L) {                           \
        GRID_STRIDE_LOOP(i, n) {                                                        \
            float u = a[offset_of(L, 0, i)], v = b[offset_of(L, 1, i)];                 \
            z[i] = (expr);                                                              \
        }                                                                               \
    }                                                                                   \
    extern "C" __global__ void name##_as(const float* a, float v, float* z,            \
                                         long long n, Layout L) {                      \
        GRID_STRIDE_LOOP(i, n) { float u = a[offset_of(L, 0, i)]; z[i] = (expr); }      \
    }                                                                                   \
    extern "C" __global__ void name##_sa(float u, const float* b, float* z,            \
                                         long long n, Layout L) {                      \
        GRID_STRIDE_LOOP(i, n) { float v = b[offset_of(L, 1, i)]; z[i] = (expr); }      \
    }

// NumPy's floor-style remainder: the result takes the sign of the divisor.
__device__ inline float floor_mod(float u, float v) {
    float r = fmodf(u, v);
    return (r != 0.0f && ((r < 0.0f) != (v < 0.0f))) ? r + v : r;
}

// log(exp(u) + exp(v)) without overflow: the larger term is factored out.
__device__ inline float log_add_exp(float u, float v) {
    float big = fmaxf(u, v), small = fminf(u, v);
    return isinf(big) && big < 0.0f ? big : big + log1pf(expf(small - big));   // both -inf
}

BINARY(binary_add, u + v)
BINARY(binary_sub, u - v)
BINARY(binary_mul, u * v)
BINARY(binary_div, u / v)
BINARY(binary_pow, powf(u, v))
BINARY(binary_mod, floor_mod(u, v))
BINARY(binary_floor_divide, floorf(u / v))
BINARY(binary_maximum, (u != u || u > v) ? u : v)    // NaN wins, as in np.maximum
BINARY(binary_minimum, (u != u || u < v) ? u : v)
BINARY(binary_fmax, fmaxf(u, v))                      // NaN loses, as in np.fmax
BINARY(binary_fmin, fminf(u, v))
BINARY(binary_logaddexp, log_add_exp(u, v))
BINARY(binary_copysign, copysignf(u, v))
BINARY(binary_arctan2, atan2f(u, v))
BINARY(binary_greater, u > v ? 1.0f : 0.0f)
BINARY(binary_greater_equal, u >= v ? 1.0f : 0.0f)
BINARY(binary_less, u < v ? 1.0f : 0.0f)
BINARY(binary_less_equal, u <= v ? 1.0f : 0.0f)
BINARY(binary_equal, u == v ? 1.0f : 0.0f)
BINARY(binary_not_equal, u != v ? 1.0f : 0.0f)
BINARY(binary_logical_and, (u != 0.0f && v != 0.0f) ? 1.0f : 0.0f)
BINARY(binary_logical_or, (u != 0.0f || v != 0.0f) ? 1.0f : 0.0f)

// ---- where: z[i] = c ? a : b, all three broadcast -------------------------------------------
extern "C" __global__ void where(const float* c, const float* a, const float* b, float* z,
                                 long long n, Layout L) {
    GRID_STRIDE_LOOP(i, n) {
        z[i] = c[offset_of(L, 0, i)] != 0.0f ? a[offset_of(L, 1, i)] : b[offset_of(L, 2, i)];
    }
}

// ---- strided assignment: y[...] = x[...], both through the layout -----------------------
// The one kernel behind `y[index] = x` and `out=` arguments that are views: the
// destination is operand 1 of the layout, so it may be any view of a larger array.
extern "C" __global__ void assign(const float* x, float* y, long long n, Layout L) {
    GRID_STRIDE_LOOP(i, n) { y[offset_of(L, 1, i)] = x[offset_of(L, 0, i)]; }
}

// ---- fill: every element the same value (zeros, ones, constants) ------------------------
extern "C" __global__ void fill(float* y, long long n, float value) {
    GRID_STRIDE_LOOP(i, n) { y[i] = value; }
}

// ---- arange: y[i] = start + i * step ------------------------------------------------------
extern "C" __global__ void arange(float* y, long long n, float start, float step) {
    GRID_STRIDE_LOOP(i, n) { y[i] = start + (float)i * step; }
}
