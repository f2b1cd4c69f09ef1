// Build and machine facts for `regurgitate doctor`, and the thread count.
#include <thread>

#include "common/cpu_features.h"
#include "common/threadpool.h"
#include "napi/register.h"

namespace rg::napi {

static Napi::Value SystemInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuInfo& c = cpu_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("cpuModel", c.model);
  Napi::Array f = Napi::Array::New(env, c.features.size());
  for (size_t i = 0; i < c.features.size(); ++i) f.Set((uint32_t)i, c.features[i]);
  o.Set("cpuFeatures", f);
  o.Set("isa", isa_name(active_isa()));
  o.Set("threads", num_threads());
  o.Set("hardwareThreads", (double)std::thread::hardware_concurrency());
  o.Set("compiler", __VERSION__);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber())
    throw MakeError(env, "EINVAL", "setThreads(n): n must be a number");
  double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 0 && n <= 1024) || n != (int)n)
    throw MakeError(env, "EINVAL", "setThreads(n): n must be an integer in [0, 1024]");
  set_num_threads((int)n);
  return Napi::Number::New(env, num_threads());
}

void RegisterSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
}

}  // namespace rg::napi
