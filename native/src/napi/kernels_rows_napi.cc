// The CPU rows kernels over Float32Arrays (references for tests/cuda); filled in with
// the CUDA rows kernels.
#include "napi/register.h"

namespace rg::napi {

void RegisterRowKernels(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace rg::napi
