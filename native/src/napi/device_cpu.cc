// make_backend for the CPU addon: only "cpu". The CUDA module (native/cuda/device.cc)
// defines it for "cuda" too; the TypeScript layer loads that module for device 'cuda'.
#include "backend.h"
#include "common/error.h"

namespace rg {

std::unique_ptr<Backend> make_backend(const std::string& device) {
  if (device == "cpu") return make_cpu_backend();
  if (device.rfind("cuda", 0) == 0)
    fail("EBACKEND", "device '" + device + "' needs the CUDA module (regurgitate_cuda.node); this is the CPU addon");
  fail("EINVAL", "unknown device '" + device + "' (known: cpu, cuda, cuda:tf32, cuda:fp32)");
}

}  // namespace rg
