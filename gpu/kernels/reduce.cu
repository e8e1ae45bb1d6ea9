// Reductions along one axis: sum, max and argmax.
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
// the same from run to run; NumPy adds pairwise, so the last bits may differ.
// fmaxf returns the other operand when one is NaN (NumPy's max would give NaN).

#define OUTPUT_LOOP(t, outer, inner)                                                  \
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;            \
         t < (long long)(outer) * (inner); t += (long long)blockDim.x * gridDim.x)

extern "C" __global__ void reduce_sum(const float* x, float* y,
                                      int outer, int length, int inner) {
    OUTPUT_LOOP(t, outer, inner) {
        long long o = t / inner, i = t % inner;
        const float* row = x + o * length * (long long)inner + i;
        float total = 0.0f;
        for (int k = 0; k < length; ++k) total += row[(long long)k * inner];
        y[t] = total;
    }
}

extern "C" __global__ void reduce_max(const float* x, float* y,
                                      int outer, int length, int inner) {
    OUTPUT_LOOP(t, outer, inner) {
        long long o = t / inner, i = t % inner;
        const float* row = x + o * length * (long long)inner + i;
        float best = row[0];
        for (int k = 1; k < length; ++k) best = fmaxf(best, row[(long long)k * inner]);
        y[t] = best;
    }
}

// argmax keeps the FIRST index of the largest value, as NumPy does.
extern "C" __global__ void reduce_argmax(const float* x, int* y,
                                         int outer, int length, int inner) {
    OUTPUT_LOOP(t, outer, inner) {
        long long o = t / inner, i = t % inner;
        const float* row = x + o * length * (long long)inner + i;
        float best = row[0];
        int where = 0;
        for (int k = 1; k < length; ++k) {
            float v = row[(long long)k * inner];
            if (v > best) { best = v; where = k; }
        }
        y[t] = where;
    }
}
