// Gather and scatter-add: embeddings, and losses with sparse integer labels.
//
// Embedding forward is a GATHER of rows:   out[i, :] = table[ids[i], :]
// Its backward is a SCATTER-ADD:           d_table[ids[i], :] += d_out[i, :]
// Two positions i may hold the same id, so two threads may add into the same
// row at once; atomicAdd makes each read-add-write indivisible. (The order of
// the additions may vary between runs, so the last bits of d_table may too.)
//
// Sparse labels pick ONE entry per row of a (rows, classes) matrix:
//     take_along_rows:     out[r] = x[r, labels[r]]                      (the loss reads p_true)
//     put_along_rows_add:  dx[r, labels[r]] += g[r]                      (and its gradient)
// Each row has its own label, so no two threads collide: no atomics needed.
//
// Mapping: one thread per output element, a grid-stride loop over them. For
// rows, consecutive threads take consecutive columns of a row: coalesced.
// Ids arrive as floats (every device array holds float32; integers are exact up
// to 2**24) and are not bounds-checked here: the host checks them first.

#define GRID_STRIDE_LOOP(t, n) \
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < (n); \
         t += (long long)blockDim.x * gridDim.x)

extern "C" __global__ void gather_rows(const float* table, const float* ids, float* out,
                                       long long count, int width) {
    GRID_STRIDE_LOOP(t, count * width) {
        long long i = t / width;
        int j = t % width;
        out[t] = table[(long long)ids[i] * width + j];
    }
}

extern "C" __global__ void scatter_add_rows(float* d_table, const float* ids, const float* d_out,
                                            long long count, int width) {
    GRID_STRIDE_LOOP(t, count * width) {
        long long i = t / width;
        int j = t % width;
        atomicAdd(&d_table[(long long)ids[i] * width + j], d_out[t]);
    }
}

extern "C" __global__ void take_along_rows(const float* x, const float* labels, float* out,
                                           long long rows, int classes) {
    GRID_STRIDE_LOOP(r, rows) { out[r] = x[r * classes + (long long)labels[r]]; }
}

extern "C" __global__ void put_along_rows_add(float* dx, const float* labels, const float* g,
                                              long long rows, int classes) {
    GRID_STRIDE_LOOP(r, rows) { dx[r * classes + (long long)labels[r]] += g[r]; }
}

// put_along_rows:  x[r, labels[r]] = values[r]  (np.put_along_axis with one label per row)
extern "C" __global__ void put_along_rows(float* x, const float* labels, const float* values,
                                          long long rows, int classes) {
    GRID_STRIDE_LOOP(r, rows) { x[r * classes + (long long)labels[r]] = values[r]; }
}
