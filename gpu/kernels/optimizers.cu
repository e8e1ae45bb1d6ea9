// Fused optimizer updates: one kernel reads a weight, its gradient and its slots
// once, and writes them back once (a chain of separate elementwise kernels would
// go through memory once per operation). The rules are Keras 3's, as in
// kerastutor/optimizers.py; scalars that depend only on the step (the Adam bias
// correction) are computed once on the host.
//
// Mapping: one thread per weight element, grid-stride loop; everything is
// elementwise, so all accesses are coalesced.

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// Plain SGD:  w <- w - lr * g
extern "C" __global__ void sgd_update(float* w, const float* g, long long n, float lr) {
    GRID_STRIDE_LOOP(i, n) { w[i] -= lr * g[i]; }
}

// SGD with momentum mu (Keras form):
//     m <- mu * m - lr * g
//     w <- w + m                       (plain momentum)
//     w <- w + mu * m - lr * g         (Nesterov: one step further along the new m)
extern "C" __global__ void sgd_momentum_update(float* w, float* m, const float* g, long long n,
                                               float lr, float mu, int nesterov) {
    GRID_STRIDE_LOOP(i, n) {
        float velocity = mu * m[i] - lr * g[i];
        m[i] = velocity;
        w[i] += nesterov ? mu * velocity - lr * g[i] : velocity;
    }
}

// Adam (Keras form), step t = 1, 2, ...:
//     m <- m + (g - m)(1 - beta_1)
//     v <- v + (g^2 - v)(1 - beta_2)
//     w <- w - alpha_t * m / (sqrt(v) + eps),  alpha_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
// alpha_t, 1 - beta_1 and 1 - beta_2 are passed in, computed on the host in double
// precision: 1.0f - 0.9f is not the float nearest to 0.1, and the NumPy path (and
// Keras) multiply by the nearest one.
__device__ __forceinline__ void adam_entry(float* w, float* m, float* v, const float* g,
                                           long long i, float alpha_t,
                                           float one_minus_beta_1, float one_minus_beta_2,
                                           float epsilon) {
    float grad = g[i];
    float m_new = m[i] + (grad - m[i]) * one_minus_beta_1;
    float v_new = v[i] + (grad * grad - v[i]) * one_minus_beta_2;
    m[i] = m_new;
    v[i] = v_new;
    w[i] -= alpha_t * m_new / (sqrtf(v_new) + epsilon);
}

extern "C" __global__ void adam_update(float* w, float* m, float* v, const float* g,
                                       long long n, float alpha_t, float one_minus_beta_1,
                                       float one_minus_beta_2, float epsilon) {
    GRID_STRIDE_LOOP(i, n) {
        adam_entry(w, m, v, g, i, alpha_t, one_minus_beta_1, one_minus_beta_2, epsilon);
    }
}

// ---- Adam inside a captured graph (kerastutor/gpu/graphs.py) ---------------------------
// A graph replays its launch arguments as recorded, so a float alpha_t would be step 1's
// for ever. Instead the step keeps three floats in device memory,
//     state = {t, lr, alpha_t},
// and the captured step launches adam_step_size once (one thread) before the updates:
// t <- t + 1, then alpha_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t) in double precision,
// as the host computes it. adam_update_device is adam_update reading alpha_t from there.
// (t is a float: exact up to 2^24 steps. The host writes t and lr into state between
// replays whenever they differ from what the device holds: an eager step ran, or a
// callback or schedule changed the learning rate.)
extern "C" __global__ void adam_step_size(float* state, double beta_1, double beta_2) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        double t = (double)state[0] + 1.0;
        state[0] = (float)t;
        state[2] = (float)((double)state[1] * sqrt(1.0 - pow(beta_2, t))
                           / (1.0 - pow(beta_1, t)));
    }
}

extern "C" __global__ void adam_update_device(float* w, float* m, float* v, const float* g,
                                              long long n, const float* alpha_t,
                                              float one_minus_beta_1, float one_minus_beta_2,
                                              float epsilon) {
    float alpha = *alpha_t;                  // the same address for every thread: cached
    GRID_STRIDE_LOOP(i, n) {
        adam_entry(w, m, v, g, i, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
    }
}
