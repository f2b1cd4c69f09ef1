#include "graph_recorder.h"

#include <cstring>

#include "kernels.h"

namespace rg::cuda {

bool GraphRecorder::begin(cudaStream_t stream) {
  if (rec_) return false;
  auto* r = new Recording;
  // Allocated before capture starts: cudaMalloc may not run while capturing.
  if (cudaMalloc((void**)&r->slots, kMaxSlots * sizeof(uint64_t)) != cudaSuccess) {
    cudaGetLastError();
    delete r;
    return false;
  }
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    cudaFree(r->slots);
    delete r;
    return false;
  }
  rec_ = r;
  stream_ = stream;
  values_.clear();
  overflow_ = false;
  gemm_scratch_freeze(true);
  return true;
}

const uint64_t* GraphRecorder::slot(uint64_t value) {
  if (!rec_) return nullptr;
  if (values_.size() >= kMaxSlots) {
    overflow_ = true;
    return rec_->slots;  // any valid word: the recording is discarded at end()
  }
  values_.push_back(value);
  return rec_->slots + (values_.size() - 1);
}

const float* GraphRecorder::float_slot(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  // Little-endian: the float is the word's low 32 bits, where the kernel reads it.
  return reinterpret_cast<const float*>(slot((uint64_t)bits));
}

const int* GraphRecorder::int_slot(int value) {
  // Little-endian: the int is the word's low 32 bits.
  return reinterpret_cast<const int*>(slot((uint64_t)(uint32_t)value));
}

void* GraphRecorder::end(std::vector<uint64_t>* slots) {
  if (!rec_) return nullptr;
  Recording* r = rec_;
  rec_ = nullptr;
  gemm_scratch_freeze(false);
  cudaGraph_t g = nullptr;
  cudaError_t e = cudaStreamEndCapture(stream_, &g);
  if (e == cudaSuccess && g && !overflow_) e = cudaGraphInstantiate(&r->exec, g, 0);
  if (g) cudaGraphDestroy(g);
  if (e != cudaSuccess || !r->exec || overflow_) {
    cudaGetLastError();  // capture errors are not sticky: clear them and go on eagerly
    if (r->exec) cudaGraphExecDestroy(r->exec);
    cudaFree(r->slots);
    delete r;
    return nullptr;
  }
  r->n = values_.size();
  if (slots) *slots = values_;
  return r;
}

cudaError_t GraphRecorder::launch(void* rec, const uint64_t* slots, size_t n, cudaStream_t stream) {
  auto* r = static_cast<Recording*>(rec);
  if (!r || n != r->n) return cudaErrorInvalidValue;
  // Pageable source: staged before the call returns, so `slots` may be reused at once; the
  // copy is ordered before the replay on the same stream.
  if (n) {
    const cudaError_t e = cudaMemcpyAsync(r->slots, slots, n * sizeof(uint64_t), cudaMemcpyHostToDevice, stream);
    if (e != cudaSuccess) return e;
  }
  return cudaGraphLaunch(r->exec, stream);
}

void GraphRecorder::release(void* rec) {
  auto* r = static_cast<Recording*>(rec);
  if (!r) return;
  if (r->exec) cudaGraphExecDestroy(r->exec);
  cudaFree(r->slots);  // synchronises: a replay in flight finishes first
  delete r;
}

}  // namespace rg::cuda
