// Philox4x32-10: counter-based random numbers (Salmon et al., SC'11, "Parallel
// random numbers: as easy as 1, 2, 3"), for initializers and dropout.
//
// A counter-based generator is a pure function   bits = philox(counter, key):
// 10 rounds of multiply-and-xor scramble a 128-bit counter under a 64-bit key
// (the seed). There is no state to carry between threads or calls, so thread t
// simply encrypts counter (offset + t) and gets 4 random 32-bit words. The same
// seed and offset give the same numbers on any GPU and any launch shape; the host
// advances `offset` by the number of counters used so the next call is fresh.
//
// Mapping: one thread per COUNTER, i.e. per 4 output values.

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u      // key schedule: golden ratio ...
#define PHILOX_W1 0xBB67AE85u      // ... and sqrt(3) - 1, as 32-bit fractions

struct uint4_ { unsigned int v[4]; };

__device__ uint4_ philox4x32_10(unsigned long long counter, unsigned int key0,
                                unsigned int key1) {
    unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = 0, c3 = 0;
    for (int round = 0; round < 10; ++round) {
        // 32 x 32 -> 64-bit products: high words mix into the other lanes
        unsigned int hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        unsigned int hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ key0;  c1 = lo1;
        c2 = hi0 ^ c3 ^ key1;  c3 = lo0;
        key0 += PHILOX_W0;     key1 += PHILOX_W1;   // a new round key each round
    }
    uint4_ out = {{c0, c1, c2, c3}};
    return out;
}

// The top 24 bits as a float in [0, 1): exactly representable, evenly spaced.
__device__ inline float to_unit(unsigned int bits) { return (bits >> 8) * (1.0f / 16777216.0f); }

// uniform in [low, high)
extern "C" __global__ void philox_uniform(float* out, long long n, unsigned int seed0,
                                          unsigned int seed1, unsigned long long offset,
                                          float low, float high) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    uint4_ bits = philox4x32_10(offset + t, seed0, seed1);
    for (int k = 0; k < 4; ++k)
        if (4 * t + k < n) out[4 * t + k] = low + (high - low) * to_unit(bits.v[k]);
}

// normal(mean, stddev) by Box-Muller: two uniforms (u1 in (0, 1], so log is finite)
// give two independent standard normals  r cos(theta), r sin(theta).
extern "C" __global__ void philox_normal(float* out, long long n, unsigned int seed0,
                                         unsigned int seed1, unsigned long long offset,
                                         float mean, float stddev) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    uint4_ bits = philox4x32_10(offset + t, seed0, seed1);
    for (int pair = 0; pair < 2; ++pair) {
        float u1 = 1.0f - to_unit(bits.v[2 * pair]), u2 = to_unit(bits.v[2 * pair + 1]);
        float r = sqrtf(-2.0f * logf(u1)), theta = 6.28318530718f * u2;
        long long i = 4 * t + 2 * pair;
        if (i < n) out[i] = mean + stddev * r * cosf(theta);
        if (i + 1 < n) out[i + 1] = mean + stddev * r * sinf(theta);
    }
}

// Inverted dropout: keep each element with probability 1 - rate and scale the
// kept ones by 1 / (1 - rate), so the expected output equals the input.
// `scale` records what each element was multiplied by (0 or 1/(1-rate)); the
// backward pass is then  dx = dy * scale, an elementwise multiply.
extern "C" __global__ void dropout(const float* x, float* y, float* scale, long long n,
                                   float rate, unsigned int seed0, unsigned int seed1,
                                   unsigned long long offset) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    uint4_ bits = philox4x32_10(offset + t, seed0, seed1);
    float keep_scale = 1.0f / (1.0f - rate);
    for (int k = 0; k < 4; ++k) {
        long long i = 4 * t + k;
        if (i >= n) break;
        float s = to_unit(bits.v[k]) >= rate ? keep_scale : 0.0f;
        scale[i] = s;
        y[i] = x[i] * s;
    }
}
