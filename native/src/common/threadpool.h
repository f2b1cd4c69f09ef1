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

// The count in effect from the next parallel region on.
int num_threads();
// 0 = the default (REGURGITATE_THREADS, else hardware concurrency). Safe at any time from
// any thread: a region that is running finishes on the old workers, the next one starts
// on the new (kernels split by claimable chunks, so no result depends on the count).
void set_num_threads(int n);

}  // namespace rg
