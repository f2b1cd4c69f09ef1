// Test hooks for the model's bf16 copy of its parameters (Transformer::params16), which
// only a backend that rounds GEMM operands to bf16 asks for:
//   testModelWithBf16Copies(configJson, seed) -> Model on a CPU backend that asks for the
//       copies (it never reads them), so their bookkeeping runs without a GPU
//   testModelParams16(model) -> { bits: Uint16Array, stale: boolean } | null: the copy as it
//       is (not refreshed), and whether a write to the parameters made it stale; null when
//       the model keeps none
//   testBf16CopyChecks() -> { x16, w16 }: how many copies handed to linear ops that backend
//       has checked against their sources in this process (a wrong one throws EINTERNAL)
#include <cmath>
#include <memory>

#include "common/json.h"
#include "napi/model_wrap.h"
#include "napi/register.h"

namespace rg::napi {
namespace {

Napi::Value ModelWithBf16Copies(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw MakeError(env, "EINVAL", "testModelWithBf16Copies(configJson, seed)");
  const std::string text = info[0].As<Napi::String>().Utf8Value();
  const double seed = info[1].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != std::floor(seed))
    throw MakeError(env, "EINVAL", "testModelWithBf16Copies: seed must be a non-negative integer");
  auto m = Guard(env, [&] {
    ModelConfig cfg = ModelConfig::from_json(Json::parse(text, "configJson"), "model config");
    auto t = std::make_shared<Transformer>(cfg, make_cpu_backend_with_bf16_copies());
    t->init_params((uint64_t)seed);
    return t;
  });
  auto* holder = new std::shared_ptr<Transformer>(std::move(m));
  Napi::External<std::shared_ptr<Transformer>> ext = Napi::External<std::shared_ptr<Transformer>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<Transformer>* p) { delete p; });
  return ModelWrap::constructor->New({ext});
}

Napi::Value ModelParams16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() ||
      !info[0].As<Napi::Object>().InstanceOf(ModelWrap::constructor->Value()))
    throw MakeError(env, "EINVAL", "testModelParams16(model): model must be a native Model");
  Transformer& m = ModelWrap::Unwrap(info[0].As<Napi::Object>())->model(env);
  const void* p16 = m.params16_unrefreshed();
  if (!p16) return env.Null();
  Napi::Uint16Array bits = Napi::Uint16Array::New(env, m.buffer_floats());
  Guard(env, [&] {
    m.backend().download(bits.Data(), p16, m.buffer_floats() * sizeof(uint16_t));
    return 0;
  });
  Napi::Object o = Napi::Object::New(env);
  o.Set("bits", bits);
  o.Set("stale", m.params16_stale());
  return o;
}

Napi::Value Bf16CopyChecks(const Napi::CallbackInfo& info) {
  uint64_t n[2];
  cpu_bf16_copy_checks(n);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("x16", Napi::Number::New(info.Env(), (double)n[0]));
  o.Set("w16", Napi::Number::New(info.Env(), (double)n[1]));
  return o;
}

}  // namespace

void RegisterModelTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("testModelWithBf16Copies", Napi::Function::New(env, ModelWithBf16Copies, "testModelWithBf16Copies"));
  exports.Set("testModelParams16", Napi::Function::New(env, ModelParams16, "testModelParams16"));
  exports.Set("testBf16CopyChecks", Napi::Function::New(env, Bf16CopyChecks, "testBf16CopyChecks"));
}

}  // namespace rg::napi
