// The CPU attention kernels over Float32Arrays (references for tests/cuda); filled in with
// the CUDA attention kernels.
#include "napi/register.h"

namespace rg::napi {

void RegisterAttentionKernels(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace rg::napi
