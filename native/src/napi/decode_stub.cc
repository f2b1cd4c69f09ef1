// TEMPORARY until model/search.cc lands.
#include "napi/convert.h"
#include "napi/model_wrap.h"
namespace rg::napi {
Napi::Value ModelWrap::Decode(const Napi::CallbackInfo& info) { throw MakeError(info.Env(), "ENOTIMPL", "decode not built yet"); }
Napi::Value ModelWrap::Score(const Napi::CallbackInfo& info) { throw MakeError(info.Env(), "ENOTIMPL", "score not built yet"); }
}
