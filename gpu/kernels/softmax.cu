// Softmax over the last axis, and its backward pass.
//
//     y_j = exp(x_j - m) / sum_k exp(x_k - m),   m = max_k x_k
// (subtracting the row max changes nothing mathematically and keeps exp from
// overflowing). Backward, with g = dL/dy:
//     dL/dx_j = y_j * (g_j - sum_k g_k y_k)
//
// Mapping: one BLOCK per row, launched with blockDim.x a power of two (e.g. 256).
// Each thread strides over the row by blockDim.x (coalesced), keeping a partial
// max or sum; the block then combines the partials with a TREE REDUCTION in
// shared memory: at each step the lower half of the threads adds in the upper
// half, log2(blockDim.x) steps in all, with __syncthreads() between steps.
// Launch with shared memory = blockDim.x * sizeof(float).

// Combine each thread's `value` over the block; every thread gets the result.
template <bool IS_MAX>
__device__ float block_reduce(float value, float* scratch) {
    scratch[threadIdx.x] = value;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            float other = scratch[threadIdx.x + half];
            scratch[threadIdx.x] = IS_MAX ? fmaxf(scratch[threadIdx.x], other)
                                          : scratch[threadIdx.x] + other;
        }
        __syncthreads();
    }
    float result = scratch[0];
    __syncthreads();                      // scratch is free again for the next reduce
    return result;
}

extern "C" __global__ void softmax_lastaxis(const float* x, float* y, int cols) {
    extern __shared__ float scratch[];
    const float* row = x + (long long)blockIdx.x * cols;
    float* out = y + (long long)blockIdx.x * cols;

    float m = -__int_as_float(0x7f800000);                 // -infinity
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, row[j]);
    m = block_reduce<true>(m, scratch);

    float total = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) total += expf(row[j] - m);
    total = block_reduce<false>(total, scratch);

    for (int j = threadIdx.x; j < cols; j += blockDim.x) out[j] = expf(row[j] - m) / total;
}

extern "C" __global__ void softmax_lastaxis_backward(const float* y, const float* g,
                                                     float* dx, int cols) {
    extern __shared__ float scratch[];
    long long base = (long long)blockIdx.x * cols;
    float dot = 0.0f;                                     // sum_k g_k y_k
    for (int j = threadIdx.x; j < cols; j += blockDim.x) dot += g[base + j] * y[base + j];
    dot = block_reduce<false>(dot, scratch);
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        dx[base + j] = y[base + j] * (g[base + j] - dot);
}
