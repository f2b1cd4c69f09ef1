// make_backend for the CUDA module: "cpu" as the CPU addon, "cuda[:bf16|:tf32|:fp32]" on
// GPU 0 (cuda_backend.cc). The CPU addon's version is native/src/napi/device_cpu.cc.
#include "backend.h"

namespace rg {

std::unique_ptr<Backend> make_cuda_backend(const std::string& device);  // cuda_backend.cc

std::unique_ptr<Backend> make_backend(const std::string& device) {
  if (device == "cpu") return make_cpu_backend();
  return make_cuda_backend(device);
}

}  // namespace rg
