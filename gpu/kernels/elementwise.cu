// Elementwise kernels: y = f(x) and z = f(a, b), with NumPy broadcasting.
//
// Mapping: one thread per OUTPUT element. Thread i of block b handles
//     i_global = b * blockDim.x + i,
// and a "grid-stride loop" lets a grid of any size cover any n: after its first
// element a thread jumps ahead by the total number of threads in the grid.
// Neighbouring threads touch neighbouring addresses, so a warp's 32 loads
// coalesce into a few wide memory transactions -- these kernels are limited by
// memory bandwidth, not arithmetic.

#define MAX_RANK 8

// The broadcast layout of a binary op, passed by value (it lands in the kernel's
// constant parameter space). For each output axis: its size, and the stride of
// each input along it in elements -- 0 where that input has size 1 (broadcast),
// which makes every output index along that axis read the same input element.
struct Broadcast {
    int rank;
    int shape[MAX_RANK];
    long long a_strides[MAX_RANK];
    long long b_strides[MAX_RANK];
};

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// ---- unary: y[i] = f(x[i]) ------------------------------------------------------------
#define UNARY(name, expr)                                                   \
    extern "C" __global__ void name(const float* x, float* y, long long n) { \
        GRID_STRIDE_LOOP(i, n) { float v = x[i]; y[i] = (expr); }           \
    }

UNARY(unary_neg, -v)
UNARY(unary_abs, fabsf(v))
UNARY(unary_exp, expf(v))
UNARY(unary_log, logf(v))
UNARY(unary_sqrt, sqrtf(v))
UNARY(unary_square, v * v)
UNARY(unary_tanh, tanhf(v))
UNARY(unary_sigmoid, 1.0f / (1.0f + expf(-v)))
UNARY(unary_relu, v > 0.0f ? v : 0.0f)
UNARY(unary_relu_grad, v > 0.0f ? 1.0f : 0.0f)   // d relu / dx, times dL/dy by a binary mul

// ---- binary with broadcasting: z[out] = f(a[ia], b[ib]) -------------------------------
// The flat output index is unravelled axis by axis, last axis fastest (C order);
// each coordinate times the input's stride along that axis gives its offset.
__device__ inline void input_offsets(const Broadcast& bc, long long out,
                                     long long* ia, long long* ib) {
    *ia = 0; *ib = 0;
    for (int axis = bc.rank - 1; axis >= 0; --axis) {
        long long coord = out % bc.shape[axis];
        out /= bc.shape[axis];
        *ia += coord * bc.a_strides[axis];
        *ib += coord * bc.b_strides[axis];
    }
}

#define BINARY(name, expr)                                                              \
    extern "C" __global__ void name(const float* a, const float* b, float* z,          \
                                    long long n, Broadcast bc) {                       \
        GRID_STRIDE_LOOP(i, n) {                                                        \
            long long ia, ib;                                                           \
            input_offsets(bc, i, &ia, &ib);                                             \
            float u = a[ia], v = b[ib];                                                 \
            z[i] = (expr);                                                              \
        }                                                                               \
    }

BINARY(binary_add, u + v)
BINARY(binary_sub, u - v)
BINARY(binary_mul, u * v)
BINARY(binary_div, u / v)
BINARY(binary_pow, powf(u, v))
BINARY(binary_maximum, fmaxf(u, v))
BINARY(binary_minimum, fminf(u, v))
BINARY(binary_greater, u > v ? 1.0f : 0.0f)

// ---- y = alpha * x + beta: scaling and shifting without a second array -----------------
extern "C" __global__ void affine(const float* x, float* y, long long n,
                                  float alpha, float beta) {
    GRID_STRIDE_LOOP(i, n) { y[i] = alpha * x[i] + beta; }
}

// ---- fill: every element the same value (zeros, ones, constants) ------------------------
extern "C" __global__ void fill(float* y, long long n, float value) {
    GRID_STRIDE_LOOP(i, n) { y[i] = value; }
}
