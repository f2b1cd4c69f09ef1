// The model, trainer and decoder classes.
#include "napi/register.h"

namespace rg::napi {

void RegisterModel(Napi::Env env, Napi::Object exports) {}

}  // namespace rg::napi
