// The CPU addon's module entry: each area registers its own functions (register.h).
#include "napi/register.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  rg::napi::RegisterEngine(env, exports);
  return exports;
}

NODE_API_MODULE(regurgitate, Init)
