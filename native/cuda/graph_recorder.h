// CUDA-graph recording for the CUDA backend (backend.h, "recorded op sequences"): stream
// capture of the ops issued between begin and end, with per-step values in device "slots"
// that each replay refills, so one recording serves every step of the same shape.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rg::cuda {

class GraphRecorder {
 public:
  // The most slots one recording may take (a Transformer-base pass takes about 80).
  static constexpr size_t kMaxSlots = 4096;

  // Starts capturing `stream` (thread-local mode: another thread's CUDA calls are not
  // disturbed). False when capture could not start.
  bool begin(cudaStream_t stream);
  bool recording() const { return rec_ != nullptr; }
  // While recording: the device word this op must read its per-step value from (and the
  // value recorded); null when not recording. Overflow fails the recording at end().
  const uint64_t* slot(uint64_t value);
  const float* float_slot(float value);
  const int* int_slot(int value);
  // Ends capture and instantiates. The recording (an opaque handle for launch/release), or
  // null when capture failed; slots gets the recorded values.
  void* end(std::vector<uint64_t>* slots);
  // Refills the slots (n must equal the recorded count), then launches, on `stream`.
  // Returns the first CUDA error.
  cudaError_t launch(void* rec, const uint64_t* slots, size_t n, cudaStream_t stream);
  void release(void* rec);

 private:
  struct Recording {
    cudaGraphExec_t exec = nullptr;
    uint64_t* slots = nullptr;  // device, kMaxSlots words
    size_t n = 0;
  };
  Recording* rec_ = nullptr;
  cudaStream_t stream_ = nullptr;
  std::vector<uint64_t> values_;
  bool overflow_ = false;
};

}  // namespace rg::cuda
