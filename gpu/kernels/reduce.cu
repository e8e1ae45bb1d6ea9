// Reductions along one axis: sum, max, min, argmax and argmin.
//
// Any axis of a C-ordered array splits the array into three parts:
//     shape = (outer, length, inner),   x[o, k, i] at  (o * length + k) * inner + i
// where `length` is the reduced axis, `outer` the product of the axes before it
// and `inner` the product of those after it. The result has shape (outer, inner).
//
// Mapping: one thread per OUTPUT element (o, i), which walks k = 0 .. length-1.
// Consecutive threads take consecutive i, so at each step k a warp reads 32
// neighbouring floats: coalesced. (For a last-axis reduction inner == 1 and the
// reads are strided; softmax.cu shows the other pattern, a block per row that
// reduces in shared memory.) Each thread adds in a fixed order, so results are
// the same from run to run.
// fmaxf returns the other operand when one is NaN (NumPy's max would give NaN).

#define OUTPUT_LOOP(t, outer, inner)                                                  \
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;            \
         t < (long long)(outer) * (inner); t += (long long)blockDim.x * gridDim.x)

// The `length` inputs of output element t = (o, i): row[k * inner] for k = 0 .. length-1.
__device__ inline const float* row_of(const float* x, long long t, int length, int inner) {
    long long o = t / inner, i = t % inner;
    return x + o * length * (long long)inner + i;
}

extern "C" __global__ void reduce_sum(const float* x, float* y,
                                      int outer, int length, int inner) {
    OUTPUT_LOOP(t, outer, inner) {
        const float* row = row_of(x, t, length, inner);
        // Kahan summation: `lost` keeps the low bits each addition rounds away and
        // feeds them into the next one, so a long sum is off by about one rounding
        // instead of `length` of them (a loss averaged over a big batch stays exact).
        float total = 0.0f, lost = 0.0f;
        for (int k = 0; k < length; ++k) {
            float term = row[(long long)k * inner] - lost;
            float next = total + term;
            lost = (next - total) - term;
            total = next;
        }
        y[t] = total;
    }
}

// max and min differ only in the comparison, so one macro writes both.
#define REDUCE_EXTREME(name, pick)                                                     \
    extern "C" __global__ void name(const float* x, float* y,                         \
                                    int outer, int length, int inner) {               \
        OUTPUT_LOOP(t, outer, inner) {                                                 \
            const float* row = row_of(x, t, length, inner);                           \
            float best = row[0];                                                       \
            for (int k = 1; k < length; ++k) best = pick(best, row[(long long)k * inner]); \
            y[t] = best;                                                               \
        }                                                                              \
    }

REDUCE_EXTREME(reduce_max, fmaxf)
REDUCE_EXTREME(reduce_min, fminf)

// argmax and argmin keep the FIRST index of the extreme value, as NumPy does.
// The index is written as a float (exact up to 2**24): on the device every
// array holds float32, and the Python side labels this one as integers.
#define REDUCE_ARG(name, better)                                                       \
    extern "C" __global__ void name(const float* x, float* y,                         \
                                    int outer, int length, int inner) {               \
        OUTPUT_LOOP(t, outer, inner) {                                                 \
            const float* row = row_of(x, t, length, inner);                           \
            float best = row[0];                                                       \
            int where = 0;                                                             \
            for (int k = 1; k < length; ++k) {                                         \
                float v = row[(long long)k * inner];                                   \
                if (v better best) { best = v; where = k; }                            \
            }                                                                          \
            y[t] = (float)where;                                                       \
        }                                                                              \
    }

REDUCE_ARG(reduce_argmax, >)
REDUCE_ARG(reduce_argmin, <)
