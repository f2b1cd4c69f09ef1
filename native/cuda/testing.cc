// Test entry points of the CUDA module: take Float32Arrays, run one kernel on the GPU
// (device 0), return fresh Float32Arrays, so tests/cuda compares them with the CPU addon's
// kernels (adamwUpdate, dropout in native/src/napi/kernels_napi.cc). Outputs are poisoned
// with NaN on the device before each run, so an element the kernel does not write shows.
//
//   adamwTest(p, g, m, v, { lr, beta1, beta2, eps, step, weightDecay }) -> { p, m, v }
//   dropoutTest(x, p, seed, stream, backward = false) -> y      (seed, stream: number|bigint)
#include <cuda_runtime.h>
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "cuda_util.h"
#include "kernels.h"
#include "testing_util.h"

namespace rg::cuda {
namespace {

using namespace testing;

Napi::Value AdamWTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = f32_arg(info, 0, "p"), g = f32_arg(info, 1, "g"), m = f32_arg(info, 2, "m"),
       v = f32_arg(info, 3, "v");
  const size_t n = p.ElementLength();
  if (g.ElementLength() != n || m.ElementLength() != n || v.ElementLength() != n)
    bad(env, "p, g, m and v must have the same length");
  if (info.Length() < 5 || !info[4].IsObject()) bad(env, "hyper must be an object");
  Napi::Object h = info[4].As<Napi::Object>();
  cpu::AdamWHyper hy;
  hy.lr = (float)num_field(env, h, "lr");
  hy.beta1 = (float)num_field(env, h, "beta1");
  hy.beta2 = (float)num_field(env, h, "beta2");
  hy.eps = (float)num_field(env, h, "eps");
  double step = num_field(env, h, "step");
  if (step < 1 || std::floor(step) != step) bad(env, "hyper.step must be an integer >= 1");
  hy.step = (int64_t)step;
  float wd = (float)num_field(env, h, "weightDecay");

  check(env, "cudaSetDevice", cudaSetDevice(0));
  DeviceFloats dp(env, n), dg(env, n), dm(env, n), dv(env, n);
  upload(env, dp, p);
  upload(env, dg, g);
  upload(env, dm, m);
  upload(env, dv, v);
  check(env, "adamw_update launch", rg::cuda::adamw_update(dp.get(), dg.get(), dm.get(), dv.get(), n, hy, wd));
  check(env, "adamw_update", cudaDeviceSynchronize());
  Napi::Object out = Napi::Object::New(env);
  out.Set("p", download(env, dp));
  out.Set("m", download(env, dm));
  out.Set("v", download(env, dv));
  return out;
}

Napi::Value DropoutTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = f32_arg(info, 0, "x");
  if (info.Length() < 2 || !info[1].IsNumber()) bad(env, "p must be a number");
  double p = info[1].As<Napi::Number>().DoubleValue();
  if (!(p >= 0 && p <= 1)) bad(env, "p must be in [0, 1]");
  uint64_t seed = u64_arg(info, 2, "seed"), stream = u64_arg(info, 3, "stream");
  bool backward = info.Length() > 4 && info[4].ToBoolean().Value();
  const size_t n = x.ElementLength();

  check(env, "cudaSetDevice", cudaSetDevice(0));
  DeviceFloats dx(env, n), dy(env, n);
  upload(env, dx, x);
  poison(env, dy);
  int err = backward ? rg::cuda::dropout_bwd(dy.get(), dx.get(), n, (float)p, seed, stream)
                     : rg::cuda::dropout_fwd(dy.get(), dx.get(), n, (float)p, seed, stream);
  check(env, "dropout launch", err);
  check(env, "dropout", cudaDeviceSynchronize());
  return download(env, dy);
}

}  // namespace

void RegisterTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("adamwTest", Napi::Function::New(env, AdamWTest, "adamwTest"));
  exports.Set("dropoutTest", Napi::Function::New(env, DropoutTest, "dropoutTest"));
}

}  // namespace rg::cuda
