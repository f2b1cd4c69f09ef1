// What both modules share beyond the areas' own files (declared in register.h): the JS
// error every N-API area throws, and the registration of the whole engine. Not in
// addon.cc, which the CUDA module does not compile.
#include "napi/register.h"

namespace rg::napi {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("native", Napi::Boolean::New(env, true));
  return e;
}

void RegisterEngine(Napi::Env env, Napi::Object exports) {
  RegisterSystem(env, exports);
  RegisterKernels(env, exports);
  RegisterTesting(env, exports);
  RegisterModel(env, exports);
  RegisterOptions(env, exports);
  RegisterAttentionKernels(env, exports);
  RegisterRowKernels(env, exports);
  RegisterDecodeKernels(env, exports, "cpu", "");
}

}  // namespace rg::napi
