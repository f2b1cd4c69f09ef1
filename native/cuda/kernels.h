// Host launchers of the CUDA kernels. Every pointer is a device pointer; every launcher
// enqueues on `stream` (0: the default stream) and returns the launch error, never
// synchronises. Semantics are the CPU backend's: see the matching header in
// native/src/cpu/ (adamw.h, dropout.h). This header includes no CUDA header, so plain
// C++ (the N-API files) can call the launchers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/adamw.h"  // rg::cpu::AdamWHyper

namespace rg::cuda {

using Stream = void*;  // a cudaStream_t

// AdamW (torch.optim.AdamW, decoupled weight decay) on fp32 master weights, one thread
// per element, in the CPU reference's order of operations with non-contracted (_rn)
// arithmetic, so results equal cpu::adamw_update_ref bit for bit.
int adamw_update(float* p, const float* g, float* m, float* v, size_t n,
                 const cpu::AdamWHyper& h, float weight_decay, Stream stream = nullptr);

// Inverted dropout: y[i] = uniform_at(seed, stream_id, i) >= p ? x[i] / (1 - p) : 0, with
// the same Philox4x32-10 counters as the CPU (common/rng.h), so masks are identical.
// Backward is the same call on (dx, dy). y may equal x.
int dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream_id,
                Stream stream = nullptr);
int dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream_id,
                Stream stream = nullptr);

}  // namespace rg::cuda
