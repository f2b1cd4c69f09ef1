// Test and benchmark entry points of the gemm kernel family (native/cuda/gemm.cu), on
// device 0. Arguments are checked before the device is touched (EINVAL); without a driver
// the calls throw "CUDA unavailable: ..." (cudaSetDevice goes through `check` first).
//
//   gemmTest(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, precision)
//       -> Float32Array (C after the call, C.length elements). A, B, C: Float32Array;
//       precision: 'fp32' | 'tf32' | 'bf16' (also 'bf16:fused' / 'bf16:convert': BF16
//       through one route of gemm.cu, forced). C is uploaded as given (beta is tested);
//       when beta == 0 its M x N elements are poisoned with NaN on the device first (the
//       elements between rows, ldc > N, keep their given values: a kernel that writes
//       there shows).
//   gemmBf16Test(transA, transB, M, N, K, A, lda, B, ldb, ldc) -> Uint16Array
//       A, B: Uint16Array of bf16 bits; the result has M * ldc elements, all poisoned
//       with 0xFFFF (a bf16 NaN) before the call, so unwritten elements show.
//   gemmBench({ M, N, K, transA?, transB?, precision, iters? }) -> { ms, tflops }
//       precision 'fp32' | 'tf32' | 'bf16' times gemm() on fp32 device data, 'bf16in'
//       times gemm_bf16() on bf16 device data; random inputs in [-1, 1) generated on the
//       GPU, packed leading dimensions, beta = 0. Two warm-up calls, then `iters` (default
//       20) calls timed one by one with CUDA events; ms is the median. path 'auto' |
//       'mma' | 'wgmma' (optional): the GEMM path for the measurement (set_gemm_path;
//       default: REGURGITATE_GEMM); the result's `path` says which kernel ran: 'wgmma'
//       when the Hopper kernel was launched for every timed call, else 'mma'.
//   gemmWgmmaStatus(runSelfcheck = false) -> { built, cc90, available, device, selfcheck,
//       path, reason, launches }: the Hopper path's state on device 0 (gemm_internal.h,
//       WgmmaStatus); runSelfcheck runs its self-check now if it has not run. Never
//       throws for a missing device (reason says why).
//   gemmSetPath(path) -> the previous setting: 'auto' | 'mma' | 'wgmma' force the GEMM
//       path for the process (REGURGITATE_GEMM's values), null follows REGURGITATE_GEMM.
#include <cuda_runtime.h>
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_util.h"
#include "gemm_internal.h"
#include "kernels.h"
#include "testing_util.h"

namespace rg::cuda {
namespace {

using namespace testing;


bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBoolean()) bad(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int lo) {
  if (info.Length() <= i || !info[i].IsNumber()) bad(info.Env(), std::string(name) + " must be a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(info.Env(), std::string(name) + " must be an integer >= " + std::to_string(lo));
  return (int)d;
}

float float_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) bad(info.Env(), std::string(name) + " must be a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::fabs(d) > 3.4e38) bad(info.Env(), std::string(name) + " must be a finite float32");
  return (float)d;
}

Napi::Uint16Array u16_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
    bad(info.Env(), std::string(name) + " must be a Uint16Array");
  return info[i].As<Napi::Uint16Array>();
}

// Elements a rows x cols matrix with row stride ld spans (0 when empty).
double extent(double rows, double cols, double ld) {
  return rows <= 0 || cols <= 0 ? 0.0 : (rows - 1) * ld + cols;
}

struct Dims {
  bool ta, tb;
  int M, N, K, lda, ldb, ldc;
};

// Leading dimensions and array lengths of a GEMM call; throws EINVAL.
void check_dims(Napi::Env env, const Dims& d, size_t alen, size_t blen, size_t clen) {
  const int arows = d.ta ? d.K : d.M, acols = d.ta ? d.M : d.K;
  const int brows = d.tb ? d.N : d.K, bcols = d.tb ? d.K : d.N;
  if (d.lda < std::max(1, acols))
    bad(env, "lda = " + std::to_string(d.lda) + " must be >= max(1, " + (d.ta ? "M" : "K") + " = " +
                 std::to_string(acols) + ")");
  if (d.ldb < std::max(1, bcols))
    bad(env, "ldb = " + std::to_string(d.ldb) + " must be >= max(1, " + (d.tb ? "K" : "N") + " = " +
                 std::to_string(bcols) + ")");
  if (d.ldc < std::max(1, d.N))
    bad(env, "ldc = " + std::to_string(d.ldc) + " must be >= max(1, N = " + std::to_string(d.N) + ")");
  if ((double)alen < extent(arows, acols, d.lda))
    bad(env, "A has " + std::to_string(alen) + " elements, needs " +
                 std::to_string((long long)extent(arows, acols, d.lda)));
  if ((double)blen < extent(brows, bcols, d.ldb))
    bad(env, "B has " + std::to_string(blen) + " elements, needs " +
                 std::to_string((long long)extent(brows, bcols, d.ldb)));
  if ((double)clen < extent(d.M, d.N, d.ldc))
    bad(env, "C has " + std::to_string(clen) + " elements, needs " +
                 std::to_string((long long)extent(d.M, d.N, d.ldc)));
  if ((double)alen > 4e8 || (double)blen > 4e8 || (double)clen > 4e8)
    bad(env, "arrays over 4e8 elements are not supported here");
}

// route (gemmTest only): 'bf16:fused' / 'bf16:convert' force the BF16 route (-1: automatic).
GemmPrecision precision_of(Napi::Env env, const Napi::Value& v, bool allow_bf16in, bool* bf16in,
                           int* route = nullptr) {
  if (!v.IsString()) bad(env, "precision must be 'fp32', 'tf32' or 'bf16'");
  const std::string s = v.As<Napi::String>().Utf8Value();
  if (bf16in) *bf16in = false;
  if (route) *route = -1;
  if (s == "fp32") return GemmPrecision::FP32;
  if (s == "tf32") return GemmPrecision::TF32;
  if (s == "bf16") return GemmPrecision::BF16;
  if (route && (s == "bf16:fused" || s == "bf16:convert")) {
    *route = s == "bf16:convert" ? 1 : 0;
    return GemmPrecision::BF16;
  }
  if (allow_bf16in && s == "bf16in") {
    *bf16in = true;
    return GemmPrecision::BF16;
  }
  bad(env, "precision must be 'fp32', 'tf32' or 'bf16'" + std::string(allow_bf16in ? " or 'bf16in'" : "") +
               ", got '" + s + "'");
}

Napi::Value GemmTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 14)
    bad(env, "gemmTest(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, precision): expected 14 arguments, got " +
                 std::to_string(info.Length()));
  Dims d;
  d.ta = bool_arg(info, 0, "transA");
  d.tb = bool_arg(info, 1, "transB");
  d.M = int_arg(info, 2, "M", 0);
  d.N = int_arg(info, 3, "N", 0);
  d.K = int_arg(info, 4, "K", 0);
  const float alpha = float_arg(info, 5, "alpha");
  auto A = f32_arg(info, 6, "A");
  d.lda = int_arg(info, 7, "lda", 1);
  auto B = f32_arg(info, 8, "B");
  d.ldb = int_arg(info, 9, "ldb", 1);
  const float beta = float_arg(info, 10, "beta");
  auto C = f32_arg(info, 11, "C");
  d.ldc = int_arg(info, 12, "ldc", 1);
  int route = -1;
  const GemmPrecision prec = precision_of(env, info[13], false, nullptr, &route);
  check_dims(env, d, A.ElementLength(), B.ElementLength(), C.ElementLength());

  check(env, "cudaSetDevice", cudaSetDevice(0));
  DeviceFloats dA(env, A.ElementLength()), dB(env, B.ElementLength()), dC(env, C.ElementLength());
  upload(env, dA, A);
  upload(env, dB, B);
  upload(env, dC, C);
  if (beta == 0.0f && d.M > 0 && d.N > 0)  // poison the product's elements (all-ones bytes: NaN)
    check(env, "cudaMemset2D",
          cudaMemset2D(dC.get(), (size_t)d.ldc * sizeof(float), 0xFF, (size_t)d.N * sizeof(float), (size_t)d.M));
  gemm_detail::set_bf16_route(route);
  const int err = rg::cuda::gemm(d.ta, d.tb, d.M, d.N, d.K, alpha, dA.get(), d.lda, dB.get(), d.ldb, beta,
                                 dC.get(), d.ldc, prec);
  gemm_detail::set_bf16_route(-1);
  check(env, "gemm launch", err);
  check(env, "gemm", cudaDeviceSynchronize());
  return download(env, dC);
}

Napi::Value GemmBf16Test(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 10)
    bad(env, "gemmBf16Test(transA, transB, M, N, K, A, lda, B, ldb, ldc): expected 10 arguments, got " +
                 std::to_string(info.Length()));
  Dims d;
  d.ta = bool_arg(info, 0, "transA");
  d.tb = bool_arg(info, 1, "transB");
  d.M = int_arg(info, 2, "M", 0);
  d.N = int_arg(info, 3, "N", 0);
  d.K = int_arg(info, 4, "K", 0);
  auto A = u16_arg(info, 5, "A");
  d.lda = int_arg(info, 6, "lda", 1);
  auto B = u16_arg(info, 7, "B");
  d.ldb = int_arg(info, 8, "ldb", 1);
  d.ldc = int_arg(info, 9, "ldc", 1);
  const size_t clen = (size_t)d.M * (size_t)d.ldc;
  check_dims(env, d, A.ElementLength(), B.ElementLength(), clen);

  check(env, "cudaSetDevice", cudaSetDevice(0));
  DeviceBytes dA(env, A.ElementLength() * 2), dB(env, B.ElementLength() * 2), dC(env, clen * 2);
  if (dA.bytes())
    check(env, "cudaMemcpy H2D", cudaMemcpy(dA.get(), A.Data(), dA.bytes(), cudaMemcpyHostToDevice));
  if (dB.bytes())
    check(env, "cudaMemcpy H2D", cudaMemcpy(dB.get(), B.Data(), dB.bytes(), cudaMemcpyHostToDevice));
  if (dC.bytes()) check(env, "cudaMemset", cudaMemset(dC.get(), 0xFF, dC.bytes()));
  check(env, "gemm_bf16 launch",
        rg::cuda::gemm_bf16(d.ta, d.tb, d.M, d.N, d.K, static_cast<const bf16_t*>(dA.get()), d.lda,
                            static_cast<const bf16_t*>(dB.get()), d.ldb, static_cast<bf16_t*>(dC.get()),
                            d.ldc));
  check(env, "gemm_bf16", cudaDeviceSynchronize());
  Napi::Uint16Array out = Napi::Uint16Array::New(env, clen);
  for (size_t i = 0; i < clen; ++i) out[i] = 0xFFFF;
  if (clen) check(env, "cudaMemcpy D2H", cudaMemcpy(out.Data(), dC.get(), clen * 2, cudaMemcpyDeviceToHost));
  return out;
}

// ---- benchmark -----------------------------------------------------------------------------
int obj_int(Napi::Env env, Napi::Object o, const char* key, int lo, int def, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) bad(env, std::string("gemmBench: ") + key + " is required");
    return def;
  }
  if (!v.IsNumber()) bad(env, std::string("gemmBench: ") + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(env, std::string("gemmBench: ") + key + " must be an integer >= " + std::to_string(lo));
  return (int)d;
}

bool obj_bool(Napi::Env env, Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) bad(env, std::string("gemmBench: ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// Destroys the events on scope exit.
struct Events {
  std::vector<cudaEvent_t> ev;
  ~Events() {
    for (cudaEvent_t e : ev) cudaEventDestroy(e);
  }
};

// 'auto' | 'mma' | 'wgmma' -> set_gemm_path's argument; null/undefined -> -1.
int path_of(Napi::Env env, const Napi::Value& v, const char* who) {
  if (v.IsNull() || v.IsUndefined()) return -1;
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (s == "auto") return 0;
  if (s == "mma") return 1;
  if (s == "wgmma") return 2;
  bad(env, std::string(who) + ": path must be 'auto', 'mma', 'wgmma' or null");
}

int g_path_setting = -1;  // what gemmSetPath last set (for its return value)

// Restores the path setting on scope exit.
struct PathScope {
  int saved;
  bool active;
  PathScope(int path, bool on) : saved(g_path_setting), active(on) {
    if (active) gemm_detail::set_gemm_path(path);
  }
  ~PathScope() {
    if (active) gemm_detail::set_gemm_path(saved);
  }
};

Napi::Value GemmBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    bad(env, "gemmBench({ M, N, K, transA?, transB?, precision, iters? }): expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const int M = obj_int(env, o, "M", 1, 0, true), N = obj_int(env, o, "N", 1, 0, true),
            K = obj_int(env, o, "K", 1, 0, true);
  const int iters = obj_int(env, o, "iters", 1, 20, false);
  if (iters > 10000) bad(env, "gemmBench: iters must be <= 10000");
  const bool ta = obj_bool(env, o, "transA"), tb = obj_bool(env, o, "transB");
  bool bf16in = false;
  const GemmPrecision prec = precision_of(env, o.Get("precision"), true, &bf16in);
  const size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
  if ((double)na + nb + nc > 3e9) bad(env, "gemmBench: M*K + K*N + M*N over 3e9 elements");
  const int lda = ta ? M : K, ldb = tb ? K : N, ldc = N;
  const Napi::Value pv = o.Get("path");
  const int path = path_of(env, pv, "gemmBench");

  check(env, "cudaSetDevice", cudaSetDevice(0));
  PathScope scope(path, !pv.IsUndefined() && !pv.IsNull());
  const size_t el = bf16in ? 2 : 4;
  DeviceBytes dA(env, na * el), dB(env, nb * el), dC(env, nc * el);
  if (bf16in) {
    check(env, "fill", gemm_detail::fill_uniform_bf16(static_cast<uint16_t*>(dA.get()), na, 1));
    check(env, "fill", gemm_detail::fill_uniform_bf16(static_cast<uint16_t*>(dB.get()), nb, 2));
  } else {
    check(env, "fill", gemm_detail::fill_uniform_f32(static_cast<float*>(dA.get()), na, 1));
    check(env, "fill", gemm_detail::fill_uniform_f32(static_cast<float*>(dB.get()), nb, 2));
  }
  check(env, "fill launch", cudaGetLastError());
  check(env, "fill", cudaDeviceSynchronize());
  auto run = [&]() -> int {
    if (bf16in)
      return rg::cuda::gemm_bf16(ta, tb, M, N, K, static_cast<const bf16_t*>(dA.get()), lda,
                                 static_cast<const bf16_t*>(dB.get()), ldb, static_cast<bf16_t*>(dC.get()), ldc);
    return rg::cuda::gemm(ta, tb, M, N, K, 1.0f, static_cast<const float*>(dA.get()), lda,
                          static_cast<const float*>(dB.get()), ldb, 0.0f, static_cast<float*>(dC.get()), ldc,
                          prec);
  };
  for (int w = 0; w < 2; ++w) check(env, "gemm (warm-up)", run());
  check(env, "gemm (warm-up)", cudaDeviceSynchronize());
  const long long launches0 = gemm_detail::wgmma_status(false).launches;
  Events evs;
  evs.ev.resize((size_t)iters + 1, nullptr);
  for (auto& e : evs.ev) check(env, "cudaEventCreate", cudaEventCreate(&e));
  check(env, "cudaEventRecord", cudaEventRecord(evs.ev[0]));
  for (int i = 0; i < iters; ++i) {
    check(env, "gemm", run());
    check(env, "cudaEventRecord", cudaEventRecord(evs.ev[(size_t)i + 1]));
  }
  check(env, "gemm", cudaEventSynchronize(evs.ev[(size_t)iters]));
  std::vector<float> ms((size_t)iters);
  for (int i = 0; i < iters; ++i)
    check(env, "cudaEventElapsedTime", cudaEventElapsedTime(&ms[(size_t)i], evs.ev[(size_t)i], evs.ev[(size_t)i + 1]));
  const double med = median(ms);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ms", med);
  out.Set("tflops", med > 0 ? 2.0 * M * N * (double)K / (med * 1e-3) / 1e12 : 0.0);
  const long long ran = gemm_detail::wgmma_status(false).launches - launches0;
  out.Set("path", ran >= iters ? "wgmma" : "mma");
  return out;
}

Napi::Value GemmWgmmaStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool run = false;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsBoolean()) bad(env, "gemmWgmmaStatus(runSelfcheck?): runSelfcheck must be a boolean");
    run = info[0].As<Napi::Boolean>().Value();
  }
  gemm_detail::WgmmaStatus st;
  const cudaError_t se = cudaSetDevice(0);
  if (se != cudaSuccess) {
    (void)cudaGetLastError();
    st = gemm_detail::wgmma_status(false);
    st.cc90 = false;
    st.available = false;
    st.device = -1;
    st.reason = std::string("no CUDA device: ") + cudaGetErrorString(se);
  } else {
    st = gemm_detail::wgmma_status(run);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", st.built);
  o.Set("cc90", st.cc90);
  o.Set("available", st.available);
  o.Set("device", st.device);
  o.Set("selfcheck", st.selfcheck);
  o.Set("path", st.path);
  o.Set("reason", st.reason);
  o.Set("launches", (double)st.launches);
  return o;
}

Napi::Value GemmSetPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1) bad(env, "gemmSetPath(path): expected 1 argument");
  const int path = path_of(env, info[0], "gemmSetPath");
  const int prev = g_path_setting;
  g_path_setting = path;
  gemm_detail::set_gemm_path(path);
  if (prev < 0) return env.Null();
  return Napi::String::New(env, prev == 0 ? "auto" : prev == 1 ? "mma" : "wgmma");
}

}  // namespace

void RegisterGemmTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmTest", Napi::Function::New(env, GemmTest, "gemmTest"));
  exports.Set("gemmBf16Test", Napi::Function::New(env, GemmBf16Test, "gemmBf16Test"));
  exports.Set("gemmBench", Napi::Function::New(env, GemmBench, "gemmBench"));
  exports.Set("gemmWgmmaStatus", Napi::Function::New(env, GemmWgmmaStatus, "gemmWgmmaStatus"));
  exports.Set("gemmSetPath", Napi::Function::New(env, GemmSetPath, "gemmSetPath"));
}

}  // namespace rg::cuda
