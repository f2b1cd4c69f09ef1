// The engine's own thread pool. Long work never runs on libuv's pool; kernels split
// work with parallel_for over a fixed partition so results never depend on timing.
#pragma once
#include <cstddef>
#include <functional>

namespace rg {

// Runs fn(begin, end) over [0, n) split into contiguous chunks, one per thread, the
// caller taking part. Chunk boundaries depend only on n and the thread count, so a
// kernel whose output elements are each computed by one chunk is deterministic.
// For reductions use a fixed chunk size (see parallel_chunks) so the result does not
// depend on the thread count either. Nested calls run serially.
void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn);

// Runs fn(chunk_index) for chunk_index in [0, chunks), distributed over the threads.
void parallel_chunks(size_t chunks, const std::function<void(size_t)>& fn);

int num_threads();
// 0 = hardware concurrency. Not safe while a parallel region runs.
void set_num_threads(int n);

}  // namespace rg
