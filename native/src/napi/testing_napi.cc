// Finite-difference gradient checks of every kernel, run natively (owned by the kernels work).
// No math here: the checks live in testing/gradcheck.cc.
#include "common/error.h"
#include "napi/register.h"
#include "testing/gradcheck.h"
#include "testing/kernel_bench.h"

namespace rg::napi {

static Napi::Value GradcheckNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto names = rg::testing::gradcheck_names();
  Napi::Array a = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) a.Set((uint32_t)i, names[i]);
  return a;
}

// gradcheck(name, seed) -> {kernel, maxRelError, maxAbsError, checked, refMaxRelError?,
// tolerance, refTolerance?, note?}. Runs synchronously (a check takes milliseconds).
static Napi::Value Gradcheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw MakeError(env, "EINVAL", "gradcheck(name, seed): name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  double seed = 0;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber())
      throw MakeError(env, "EINVAL", "gradcheck(name, seed): seed must be a number");
    seed = info[1].As<Napi::Number>().DoubleValue();
    if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != (double)(uint64_t)seed)
      throw MakeError(env, "EINVAL", "gradcheck(name, seed): seed must be a non-negative integer");
  }
  rg::testing::CheckResult r;
  try {
    r = rg::testing::run_gradcheck(name, (uint64_t)seed);
  } catch (const rg::Error& e) {
    throw MakeError(env, e.code(), e.what());
  } catch (const std::exception& e) {
    throw MakeError(env, "EINTERNAL", std::string("gradcheck '") + name + "': " + e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", name);
  o.Set("kernel", r.kernel);
  o.Set("maxRelError", r.max_rel);
  o.Set("maxAbsError", r.max_abs);
  o.Set("checked", (double)r.checked);
  if (r.has_ref) {
    o.Set("refMaxRelError", r.ref_max_rel);
    o.Set("refTolerance", r.ref_tolerance);
  }
  o.Set("tolerance", r.tolerance);
  if (!r.note.empty()) o.Set("note", r.note);
  return o;
}

static Napi::Value KernelBenchNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto names = rg::testing::kernel_bench_names();
  Napi::Array a = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) a.Set((uint32_t)i, names[i]);
  return a;
}

// kernelBench(name, iters) -> {kernel, shape, optMs, refMs, speedup, threads}. Synchronous and
// slow (the naive references take up to seconds): for scripts/bench-kernels.mjs only.
static Napi::Value KernelBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw MakeError(env, "EINVAL", "kernelBench(name, iters): name must be a string");
  int iters = 3;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber())
      throw MakeError(env, "EINVAL", "kernelBench(name, iters): iters must be a number");
    double d = info[1].As<Napi::Number>().DoubleValue();
    if (!(d >= 1 && d <= 1000) || d != (int)d)
      throw MakeError(env, "EINVAL", "kernelBench(name, iters): iters must be an integer in [1, 1000]");
    iters = (int)d;
  }
  rg::testing::BenchResult r;
  try {
    r = rg::testing::kernel_bench(info[0].As<Napi::String>().Utf8Value(), iters);
  } catch (const rg::Error& e) {
    throw MakeError(env, e.code(), e.what());
  } catch (const std::exception& e) {
    throw MakeError(env, "EINTERNAL", e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("kernel", r.kernel);
  o.Set("shape", r.shape);
  o.Set("optMs", r.opt_ms);
  o.Set("refMs", r.ref_ms);
  o.Set("speedup", r.opt_ms > 0 ? r.ref_ms / r.opt_ms : 0.0);
  o.Set("threads", r.threads);
  return o;
}

void RegisterTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("gradcheckNames", Napi::Function::New(env, GradcheckNames, "gradcheckNames"));
  exports.Set("gradcheck", Napi::Function::New(env, Gradcheck, "gradcheck"));
  exports.Set("kernelBenchNames", Napi::Function::New(env, KernelBenchNames, "kernelBenchNames"));
  exports.Set("kernelBench", Napi::Function::New(env, KernelBench, "kernelBench"));
  RegisterModelTesting(env, exports);
}

}  // namespace rg::napi
