// Shared by the CUDA module's test entry points (testing*.cc): argument checks and
// host <-> device copies. Outputs are poisoned with NaN on the device before each run, so
// an element a kernel does not write shows up in the comparison.
#pragma once
#include <cuda_runtime.h>
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_util.h"

namespace rg::cuda::testing {

[[noreturn]] inline void bad(Napi::Env env, const std::string& msg) { throw make_error(env, "EINVAL", msg); }

inline Napi::Float32Array f32_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    bad(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

inline double num_field(Napi::Env env, Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) bad(env, std::string("hyper.") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) bad(env, std::string("hyper.") + key + " must be finite");
  return d;
}

inline uint64_t u64_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() > i && info[i].IsBigInt()) {
    bool lossless = true;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) bad(env, std::string(name) + " must fit in 64 unsigned bits");
    return v;
  }
  if (info.Length() > i && info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 9007199254740991.0) || std::floor(d) != d)
      bad(env, std::string(name) + " must be an integer in [0, 2^53) or a bigint");
    return (uint64_t)d;
  }
  bad(env, std::string(name) + " must be a number or a bigint");
}

inline void poison(Napi::Env env, const DeviceFloats& d) {
  // All-ones bytes are a quiet NaN in fp32.
  if (d.size()) check(env, "cudaMemset", cudaMemset(d.get(), 0xFF, d.size() * sizeof(float)));
}

inline void upload(Napi::Env env, const DeviceFloats& d, const Napi::Float32Array& a) {
  if (d.size())
    check(env, "cudaMemcpy H2D",
          cudaMemcpy(d.get(), a.Data(), d.size() * sizeof(float), cudaMemcpyHostToDevice));
}

inline Napi::Float32Array download(Napi::Env env, const DeviceFloats& d) {
  Napi::Float32Array out = Napi::Float32Array::New(env, d.size());
  for (size_t i = 0; i < d.size(); ++i) out[i] = NAN;
  if (d.size())
    check(env, "cudaMemcpy D2H",
          cudaMemcpy(out.Data(), d.get(), d.size() * sizeof(float), cudaMemcpyDeviceToHost));
  return out;
}

// A device allocation of `bytes` bytes (at least 16, so a view one float in still fits and
// a zero-byte scratch is still a valid pointer), freed on scope exit.
class DeviceBytes {
 public:
  DeviceBytes(Napi::Env env, size_t bytes) : n_(bytes) {
    check(env, "cudaMalloc", cudaMalloc(&p_, bytes < 16 ? 16 : bytes));
  }
  ~DeviceBytes() {
    if (p_) cudaFree(p_);
  }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
  void* get() const { return p_; }
  size_t bytes() const { return n_; }

 private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

// The median of timings (milliseconds); 0 for none.
inline double median(std::vector<float> t) {
  if (t.empty()) return 0.0;
  std::sort(t.begin(), t.end());
  const size_t n = t.size();
  return n % 2 ? t[n / 2] : 0.5 * ((double)t[n / 2 - 1] + t[n / 2]);
}

}  // namespace rg::cuda::testing
