// The CPU addon's module entry: each area registers its own functions (register.h).
#include "napi/register.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  rg::napi::RegisterSystem(env, exports);
  rg::napi::RegisterKernels(env, exports);
  rg::napi::RegisterTesting(env, exports);
  rg::napi::RegisterModel(env, exports);
  rg::napi::RegisterAttentionKernels(env, exports);
  rg::napi::RegisterRowKernels(env, exports);
  return exports;
}

NODE_API_MODULE(regurgitate, Init)
