// im2col and col2im for 2-D convolution, channels_last, as in
// kerastutor/layers/convolutional.py (one group).
//
// im2col turns a convolution into one matrix multiply: every output position
// (n, oh, ow) becomes a ROW holding the window it sees, ordered
// (kh, kw, c) -- the order of a Keras kernel (KH, KW, C, F) reshaped to
// (KH*KW*C, F). Then  conv = patches @ kernel_matrix.
//
//   input  x:       (N, H, W, C), already padded (H, W are the padded sizes)
//   patches:        (N*OH*OW, KH*KW*C)
//   pixel read by patch (n, oh, ow), offset (kh, kw):
//       h = oh * stride_h + kh * dilation_h,   w = ow * stride_w + kw * dilation_w
//
// Mapping: one thread per element of the patch matrix. Consecutive threads take
// consecutive channels c, which sit next to each other in x too: coalesced.

struct ConvGeometry {
    int N, H, W, C;          // padded input
    int KH, KW;              // kernel size
    int SH, SW;              // strides
    int DH, DW;              // dilation
    int OH, OW;              // output size
};

extern "C" __global__ void im2col(const float* x, float* patches, ConvGeometry g) {
    long long cols = (long long)g.KH * g.KW * g.C;
    long long total = (long long)g.N * g.OH * g.OW * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        long long row = t / cols, col = t % cols;
        int c = col % g.C, kw = (col / g.C) % g.KW, kh = col / ((long long)g.C * g.KW);
        int ow = row % g.OW, oh = (row / g.OW) % g.OH;
        long long n = row / ((long long)g.OW * g.OH);
        int h = oh * g.SH + kh * g.DH, w = ow * g.SW + kw * g.DW;
        patches[t] = x[((n * g.H + h) * g.W + w) * g.C + c];
    }
}

// col2im is the adjoint (the transpose) of im2col: d x = sum of every patch
// entry that read that pixel. Instead of scattering with atomicAdd (fast, but the
// order of additions -- and so the last bits -- changes from run to run) each
// thread owns ONE input pixel (n, h, w, c) and GATHERS: for each kernel offset
// (kh, kw) it solves h = oh * SH + kh * DH for oh, and adds the patch entry if
// oh is a whole number inside the output. Deterministic, no atomics.
extern "C" __global__ void col2im(const float* patches, float* dx, ConvGeometry g) {
    long long cols = (long long)g.KH * g.KW * g.C;
    long long total = (long long)g.N * g.H * g.W * g.C;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)blockDim.x * gridDim.x) {
        int c = t % g.C, w = (t / g.C) % g.W, h = (t / ((long long)g.C * g.W)) % g.H;
        long long n = t / ((long long)g.C * g.W * g.H);
        float sum = 0.0f;
        for (int kh = 0; kh < g.KH; ++kh) {
            int dh = h - kh * g.DH;                        // = oh * SH
            if (dh < 0 || dh % g.SH != 0 || dh / g.SH >= g.OH) continue;
            for (int kw = 0; kw < g.KW; ++kw) {
                int dw = w - kw * g.DW;                    // = ow * SW
                if (dw < 0 || dw % g.SW != 0 || dw / g.SW >= g.OW) continue;
                long long row = (n * g.OH + dh / g.SH) * g.OW + dw / g.SW;
                sum += patches[row * cols + ((long long)kh * g.KW + kw) * g.C + c];
            }
        }
        dx[t] = sum;
    }
}
