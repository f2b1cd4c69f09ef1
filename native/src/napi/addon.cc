#include "napi/register.h"

namespace rg::napi {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("native", Napi::Boolean::New(env, true));
  return e;
}

}  // namespace rg::napi

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
