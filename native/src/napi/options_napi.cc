// optionRanges(): the table every option is read and checked with (common/option_ranges.h),
// so tests can hold TypeScript's table (ts/src/engine/ranges.ts) equal to it.
#include "common/option_ranges.h"
#include "napi/register.h"

namespace rg::napi {

template <size_t N>
static Napi::Object Group(Napi::Env env, const OptionRange* const (&table)[N]) {
  Napi::Object g = Napi::Object::New(env);
  for (const OptionRange* r : table) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("min", r->min);
    o.Set("max", r->max);
    o.Set("integer", r->integer);
    o.Set("minOpen", r->min_open);
    o.Set("maxOpen", r->max_open);
    g.Set(r->name, o);
  }
  return g;
}

static Napi::Value OptionRanges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("train", Group(env, ranges::kTrain));
  o.Set("decode", Group(env, ranges::kDecode));
  o.Set("score", Group(env, ranges::kScore));
  o.Set("maxBeamRows", ranges::kMaxBeamRows);
  return o;
}

void RegisterOptions(Napi::Env env, Napi::Object exports) {
  exports.Set("optionRanges", Napi::Function::New(env, OptionRanges, "optionRanges"));
}

}  // namespace rg::napi
