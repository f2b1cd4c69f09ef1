// Kernel entry points for benchmarks and tests (owned by the GEMM work).
#include "napi/register.h"

namespace rg::napi {

void RegisterKernels(Napi::Env env, Napi::Object exports) {}

}  // namespace rg::napi
