// The JS error every N-API area throws (declared in register.h). Its own file, so the
// CUDA module, which compiles the whole N-API layer but not addon.cc, has it too.
#include "napi/register.h"

namespace rg::napi {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("native", Napi::Boolean::New(env, true));
  return e;
}

}  // namespace rg::napi
