// Transposes: a tiled 2-D transpose (batched), and a general axis permutation.
//
// transpose_2d: out[c, r] = in[r, c] for a (rows, cols) matrix, batch along grid z.
// Reading a row is coalesced, but writing it as a column scatters across memory.
// So a 32 x 32 tile goes through shared memory: threads read the tile row by row
// (coalesced), sync, and write it back row by row of the OUTPUT (coalesced too),
// taking each value from the transposed position in shared memory. The extra
// column (TILE + 1) shifts each row by one of shared memory's 32 banks, so the
// column-wise reads of a warp hit 32 different banks instead of one (no bank
// conflicts). Blocks are 32 x 8 threads; each thread moves 4 elements.

#define TILE 32
#define ROWS_PER_PASS 8
#define MAX_RANK 8

extern "C" __global__ void transpose_2d(const float* in, float* out, int rows, int cols) {
    __shared__ float tile[TILE][TILE + 1];
    long long offset = (long long)blockIdx.z * rows * cols;
    in += offset;
    out += offset;

    int c = blockIdx.x * TILE + threadIdx.x;
    for (int dy = 0; dy < TILE; dy += ROWS_PER_PASS) {
        int r = blockIdx.y * TILE + threadIdx.y + dy;
        if (r < rows && c < cols) tile[threadIdx.y + dy][threadIdx.x] = in[(long long)r * cols + c];
    }
    __syncthreads();

    int out_c = blockIdx.y * TILE + threadIdx.x;          // output is (cols, rows)
    for (int dy = 0; dy < TILE; dy += ROWS_PER_PASS) {
        int out_r = blockIdx.x * TILE + threadIdx.y + dy;
        if (out_r < cols && out_c < rows)
            out[(long long)out_r * rows + out_c] = tile[threadIdx.x][threadIdx.y + dy];
    }
}

// permute: out = np.transpose(in, axes) for up to 8 axes. One thread per output
// element: unravel its index over the output shape, and add up each coordinate
// times the input stride of the axis it came from (in_strides[axis] is already
// reordered by `axes` on the host). Simple and general; transpose_2d is faster
// for the common matrix case.
struct Permutation {
    int rank;
    int out_shape[MAX_RANK];
    long long in_strides[MAX_RANK];
};

extern "C" __global__ void permute(const float* in, float* out, long long n, Permutation p) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        long long rest = i, source = 0;
        for (int axis = p.rank - 1; axis >= 0; --axis) {
            source += (rest % p.out_shape[axis]) * p.in_strides[axis];
            rest /= p.out_shape[axis];
        }
        out[i] = in[source];
    }
}
