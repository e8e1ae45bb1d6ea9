// Matrix multiply C = A @ B with shared-memory tiles, batched along grid z.
//
//     A: (M, K)   B: (K, N)   C: (M, N),   row-major, float32.
//
// The naive kernel -- one thread per C[row, col], looping over k -- reads 2K
// floats from global memory for 2K flops. Global memory (HBM) is far away: a
// few hundred cycles per access, and an H100 can do roughly 20 times more flops
// than its memory can feed at one float per flop. So we reuse data.
//
// How this maps to the hardware:
//  * A BLOCK of TILE x TILE threads (16 x 16 = 256 = 8 warps) computes one
//    TILE x TILE tile of C. A block runs on one streaming multiprocessor (SM)
//    and its threads share that SM's fast on-chip SHARED MEMORY.
//  * The K dimension is walked in steps of TILE. At each step the block copies a
//    TILE x TILE tile of A and one of B into shared memory -- each thread loads
//    ONE element of each, and threadIdx.x runs along a row, so a warp's loads
//    are consecutive addresses and coalesce.
//  * __syncthreads() waits until the whole tile is loaded; then each thread does
//    TILE multiply-adds reading only shared memory (a few cycles each), and
//    syncs again before the tile is overwritten.
//  * Each float loaded from global memory is now used TILE times, so global
//    traffic falls by a factor of TILE (16x).
// Faster kernels (cuBLAS, CUTLASS) go further: each thread computes several
// outputs held in registers, tiles are double-buffered, and H100's tensor cores
// multiply whole 16x8x16 fragments in one instruction. This one stays readable.
//
// Batches: blockIdx.z picks the matrix pair; the strides are the elements
// between consecutive matrices (0 repeats one matrix for every batch entry,
// which is how a 2-D weight broadcasts against a batch of inputs).
// Edges: tiles that stick out past M, N or K load zeros, which add nothing.

#define TILE 16

extern "C" __global__ void matmul_tiled(const float* A, const float* B, float* C,
                                        int M, int N, int K, long long stride_a,
                                        long long stride_b, long long stride_c) {
    __shared__ float As[TILE][TILE];
    __shared__ float Bs[TILE][TILE];

    A += blockIdx.z * stride_a;               // this block's matrices in the batch
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    int row = blockIdx.y * TILE + threadIdx.y;   // the C element this thread owns
    int col = blockIdx.x * TILE + threadIdx.x;
    float acc = 0.0f;                            // kept in a register throughout

    for (int k0 = 0; k0 < K; k0 += TILE) {
        int a_col = k0 + threadIdx.x, b_row = k0 + threadIdx.y;
        As[threadIdx.y][threadIdx.x] = (row < M && a_col < K) ? A[(long long)row * K + a_col] : 0.0f;
        Bs[threadIdx.y][threadIdx.x] = (b_row < K && col < N) ? B[(long long)b_row * N + col] : 0.0f;
        __syncthreads();                         // the tiles are complete
        for (int k = 0; k < TILE; ++k)
            acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        __syncthreads();                         // everyone is done reading them
    }
    if (row < M && col < N) C[(long long)row * N + col] = acc;
}

// matmul_strided: the same product, for operands that are VIEWS -- a transpose
// (x.T in a Dense layer's dL/dW = x^T delta, W^T in dL/dx = delta W^T) or a
// slice -- read in place instead of copied to a contiguous array first. Each
// operand comes with its row and column strides in elements: element (i, j) of
// A is A[i * a_row + j * a_col]; a contiguous A has a_row = K, a_col = 1, and
// A.T of a contiguous (K, M) array has a_row = 1, a_col = M.
//
// It saves one copy kernel (and a temporary) per transposed operand: six per
// training step of a 3-layer MLP. The loads stay coalesced: when an operand's
// consecutive elements run down a column (a_row == 1), the threads of a warp walk
// down that column instead of along a row, so they still read consecutive
// addresses; the tile in shared memory ends up the same either way.
extern "C" __global__ void matmul_strided(const float* A, const float* B, float* C,
                                          int M, int N, int K, long long stride_a,
                                          long long stride_b, long long stride_c,
                                          long long a_row, long long a_col,
                                          long long b_row, long long b_col) {
    __shared__ float As[TILE][TILE];
    __shared__ float Bs[TILE][TILE];

    A += blockIdx.z * stride_a;
    B += blockIdx.z * stride_b;
    C += blockIdx.z * stride_c;
    int row = blockIdx.y * TILE + threadIdx.y;
    int col = blockIdx.x * TILE + threadIdx.x;
    // Which thread loads which tile element: along rows (the usual case), or down
    // columns when the operand's rows are the ones next to each other in memory.
    bool a_down = (a_row == 1 && a_col != 1);
    bool b_down = (b_row == 1 && b_col != 1);
    int ti = a_down ? threadIdx.x : threadIdx.y, tk = a_down ? threadIdx.y : threadIdx.x;
    int uk = b_down ? threadIdx.x : threadIdx.y, uj = b_down ? threadIdx.y : threadIdx.x;
    int a_i = blockIdx.y * TILE + ti;            // the A element (a_i, k0 + tk) to load
    int b_j = blockIdx.x * TILE + uj;            // the B element (k0 + uk, b_j) to load
    float acc = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TILE) {
        As[ti][tk] = (a_i < M && k0 + tk < K) ? A[a_i * a_row + (k0 + tk) * a_col] : 0.0f;
        Bs[uk][uj] = (k0 + uk < K && b_j < N) ? B[(k0 + uk) * b_row + b_j * b_col] : 0.0f;
        __syncthreads();
        for (int k = 0; k < TILE; ++k)
            acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        __syncthreads();
    }
    if (row < M && col < N) C[(long long)row * N + col] = acc;
}
