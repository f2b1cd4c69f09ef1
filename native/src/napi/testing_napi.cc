// Finite-difference gradient checks of every kernel, run natively (owned by the kernels work).
#include "napi/register.h"

namespace rg::napi {

void RegisterTesting(Napi::Env env, Napi::Object exports) {}

}  // namespace rg::napi
