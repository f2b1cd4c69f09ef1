// Kernel entry points for benchmarks and tests (owned by the GEMM work): gemm, gemmRef,
// benchGemm; adamwUpdate and dropout, the CPU side of the CUDA kernel tests (tests/cuda). Every argument is checked here; bad input throws an Error with code EINVAL.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "common/cpu_features.h"
#include "common/error.h"
#include "cpu/adamw.h"
#include "cpu/dropout.h"
#include "cpu/gemm.h"
#include "napi/register.h"

namespace rg::napi {
namespace {

constexpr double kMaxDim = 2147483647.0;  // int32 dimensions and leading dimensions

std::string num_str(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string value_desc(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return num_str(v.As<Napi::Number>().DoubleValue());
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsString()) return "a string";
  if (v.IsTypedArray()) return "a typed array of another element type";
  if (v.IsArray()) return "an Array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

[[noreturn]] void bad(Napi::Env env, const std::string& msg) { throw MakeError(env, "EINVAL", msg); }

int get_dim(Napi::Env env, const char* fn, const char* name, const Napi::Value& v) {
  if (!v.IsNumber())
    bad(env, std::string(fn) + ": " + name + " must be an integer > 0, got " + value_desc(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 1 || d > kMaxDim)
    bad(env, std::string(fn) + ": " + name + " must be an integer in [1, 2147483647], got " + num_str(d));
  return (int)d;
}

bool get_bool(Napi::Env env, const char* fn, const char* name, const Napi::Value& v) {
  if (!v.IsBoolean()) bad(env, std::string(fn) + ": " + name + " must be a boolean, got " + value_desc(v));
  return v.As<Napi::Boolean>().Value();
}

float get_float(Napi::Env env, const char* fn, const char* name, const Napi::Value& v) {
  if (!v.IsNumber()) bad(env, std::string(fn) + ": " + name + " must be a finite number, got " + value_desc(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::fabs(d) > 3.4e38)
    bad(env, std::string(fn) + ": " + name + " must be a finite float32 number, got " + num_str(d));
  return (float)d;
}

Napi::Float32Array get_f32(Napi::Env env, const char* fn, const char* name, const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    bad(env, std::string(fn) + ": " + name + " must be a Float32Array, got " + value_desc(v));
  return v.As<Napi::Float32Array>();
}

// Elements a rows x cols row-major matrix with row stride ld occupies.
double extent(double rows, double cols, double ld) { return (rows - 1) * ld + cols; }

struct GemmArgs {
  Napi::Float32Array A, B;
  int M, N, K;
  bool ta, tb;
  float alpha = 1.0f, beta = 0.0f;
  int lda, ldb, ldc;
  Napi::Float32Array C0;  // optional initial C (copied, never modified)
  bool has_c = false;
};

// gemm(A, B, M, N, K, transA, transB, opts?) with opts {alpha, beta, C, lda, ldb, ldc}.
GemmArgs parse_gemm(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() < 7)
    bad(env, std::string(fn) + "(A, B, M, N, K, transA, transB, opts?): expected at least 7 arguments, got " +
                 std::to_string(info.Length()));
  GemmArgs g;
  g.A = get_f32(env, fn, "A", info[0]);
  g.B = get_f32(env, fn, "B", info[1]);
  g.M = get_dim(env, fn, "M", info[2]);
  g.N = get_dim(env, fn, "N", info[3]);
  g.K = get_dim(env, fn, "K", info[4]);
  g.ta = get_bool(env, fn, "transA", info[5]);
  g.tb = get_bool(env, fn, "transB", info[6]);
  // Default leading dimensions: tightly packed.
  g.lda = g.ta ? g.M : g.K;
  g.ldb = g.tb ? g.K : g.N;
  g.ldc = g.N;
  bool explicit_ld = false;
  if (info.Length() >= 8 && !info[7].IsUndefined()) {
    if (!info[7].IsObject() || info[7].IsArray() || info[7].IsFunction() || info[7].IsTypedArray())
      bad(env, std::string(fn) + ": opts must be an object {alpha?, beta?, C?, lda?, ldb?, ldc?}, got " +
                   value_desc(info[7]));
    Napi::Object o = info[7].As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string k = keys.Get(i).ToString().Utf8Value();
      if (k != "alpha" && k != "beta" && k != "C" && k != "lda" && k != "ldb" && k != "ldc")
        bad(env, std::string(fn) + ": unknown option '" + k + "' (expected alpha, beta, C, lda, ldb, ldc)");
    }
    auto opt = [&](const char* k) -> Napi::Value {
      Napi::Value v = o.Get(k);
      return v;
    };
    if (!opt("alpha").IsUndefined()) g.alpha = get_float(env, fn, "opts.alpha", opt("alpha"));
    if (!opt("beta").IsUndefined()) g.beta = get_float(env, fn, "opts.beta", opt("beta"));
    if (!opt("C").IsUndefined()) {
      g.C0 = get_f32(env, fn, "opts.C", opt("C"));
      g.has_c = true;
    }
    const int min_lda = g.ta ? g.M : g.K, min_ldb = g.tb ? g.K : g.N;
    if (!opt("lda").IsUndefined()) {
      g.lda = get_dim(env, fn, "opts.lda", opt("lda"));
      explicit_ld = true;
      if (g.lda < min_lda)
        bad(env, std::string(fn) + ": opts.lda = " + std::to_string(g.lda) + " is less than " +
                     (g.ta ? "M" : "K") + " = " + std::to_string(min_lda));
    }
    if (!opt("ldb").IsUndefined()) {
      g.ldb = get_dim(env, fn, "opts.ldb", opt("ldb"));
      explicit_ld = true;
      if (g.ldb < min_ldb)
        bad(env, std::string(fn) + ": opts.ldb = " + std::to_string(g.ldb) + " is less than " +
                     (g.tb ? "K" : "N") + " = " + std::to_string(min_ldb));
    }
    if (!opt("ldc").IsUndefined()) {
      g.ldc = get_dim(env, fn, "opts.ldc", opt("ldc"));
      if (g.ldc < g.N)
        bad(env, std::string(fn) + ": opts.ldc = " + std::to_string(g.ldc) + " is less than N = " +
                     std::to_string(g.N));
    }
  }
  // Array sizes: exact for packed layouts, at least the extent with explicit strides.
  const double arows = g.ta ? g.K : g.M, acols = g.ta ? g.M : g.K;
  const double brows = g.tb ? g.N : g.K, bcols = g.tb ? g.K : g.N;
  const char* ashape = g.ta ? "K*M" : "M*K";
  const char* bshape = g.tb ? "N*K" : "K*N";
  auto check_len = [&](const char* name, size_t len, double rows, double cols, double ld, const char* shape) {
    if (!explicit_ld) {
      if ((double)len != rows * cols)
        bad(env, std::string(fn) + ": " + name + " has " + std::to_string(len) + " elements, expected " + shape +
                     " = " + num_str(rows * cols) + " (M=" + std::to_string(g.M) + ", N=" + std::to_string(g.N) +
                     ", K=" + std::to_string(g.K) + ")");
    } else if ((double)len < extent(rows, cols, ld)) {
      bad(env, std::string(fn) + ": " + name + " has " + std::to_string(len) + " elements, needs at least " +
                   num_str(extent(rows, cols, ld)) + " for a " + num_str(rows) + " x " + num_str(cols) +
                   " matrix with leading dimension " + num_str(ld));
    }
  };
  check_len("A", g.A.ElementLength(), arows, acols, g.lda, ashape);
  check_len("B", g.B.ElementLength(), brows, bcols, g.ldb, bshape);
  if (g.has_c && (double)g.C0.ElementLength() < extent(g.M, g.N, g.ldc))
    bad(env, std::string(fn) + ": opts.C has " + std::to_string(g.C0.ElementLength()) + " elements, needs at least " +
                 num_str(extent(g.M, g.N, g.ldc)) + " (M=" + std::to_string(g.M) + ", N=" + std::to_string(g.N) +
                 ", ldc=" + std::to_string(g.ldc) + ")");
  if ((double)g.M * g.ldc > 1e9 || arows * acols > 1e9 || brows * bcols > 1e9)
    bad(env, std::string(fn) + ": matrices over 1e9 elements are not supported here");
  return g;
}

Napi::Value run_gemm(const Napi::CallbackInfo& info, bool ref) {
  const char* fn = ref ? "gemmRef" : "gemm";
  Napi::Env env = info.Env();
  GemmArgs g = parse_gemm(info, fn);
  const size_t clen = g.has_c ? g.C0.ElementLength() : (size_t)g.M * g.ldc;
  Napi::Float32Array C = Napi::Float32Array::New(env, clen);
  if (g.has_c) std::copy(g.C0.Data(), g.C0.Data() + clen, C.Data());
  try {
    (ref ? cpu::gemm_ref : cpu::gemm)(g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.A.Data(), g.lda, g.B.Data(), g.ldb,
                                      g.beta, C.Data(), g.ldc);
  } catch (const std::bad_alloc&) {
    throw MakeError(env, "ENOMEM", std::string(fn) + ": out of memory");
  } catch (const rg::Error& e) {
    throw MakeError(env, e.code(), e.what());
  }
  return C;
}

Napi::Value Gemm(const Napi::CallbackInfo& info) { return run_gemm(info, false); }
Napi::Value GemmRef(const Napi::CallbackInfo& info) { return run_gemm(info, true); }

// benchGemm(M, N, K, iters, opts?) with opts {transA, transB, beta}: best of `iters`
// timed calls after one warm-up call, on deterministic pseudo-random inputs.
Napi::Value BenchGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "benchGemm";
  if (info.Length() < 4)
    bad(env, "benchGemm(M, N, K, iters, opts?): expected at least 4 arguments, got " + std::to_string(info.Length()));
  const int M = get_dim(env, fn, "M", info[0]);
  const int N = get_dim(env, fn, "N", info[1]);
  const int K = get_dim(env, fn, "K", info[2]);
  const int iters = get_dim(env, fn, "iters", info[3]);
  if (iters > 100000) bad(env, "benchGemm: iters must be <= 100000, got " + std::to_string(iters));
  bool ta = false, tb = false;
  float beta = 0.0f;
  if (info.Length() >= 5 && !info[4].IsUndefined()) {
    if (!info[4].IsObject() || info[4].IsArray() || info[4].IsTypedArray() || info[4].IsFunction())
      bad(env, "benchGemm: opts must be an object {transA?, transB?, beta?}, got " + value_desc(info[4]));
    Napi::Object o = info[4].As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string k = keys.Get(i).ToString().Utf8Value();
      if (k != "transA" && k != "transB" && k != "beta")
        bad(env, "benchGemm: unknown option '" + k + "' (expected transA, transB, beta)");
    }
    if (!o.Get("transA").IsUndefined()) ta = get_bool(env, fn, "opts.transA", o.Get("transA"));
    if (!o.Get("transB").IsUndefined()) tb = get_bool(env, fn, "opts.transB", o.Get("transB"));
    if (!o.Get("beta").IsUndefined()) beta = get_float(env, fn, "opts.beta", o.Get("beta"));
  }
  const double elems = (double)M * K + (double)K * N + (double)M * N;
  if (elems > 2e9) bad(env, "benchGemm: M*K + K*N + M*N = " + num_str(elems) + " floats is too large (max 2e9)");
  double best = 1e300;
  try {
    std::vector<float> A((size_t)M * K), B((size_t)K * N), C((size_t)M * N);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    auto rnd = [&] {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      return (float)((double)(s >> 40) / (double)(1ull << 24)) - 0.5f;
    };
    for (auto& x : A) x = rnd();
    for (auto& x : B) x = rnd();
    for (auto& x : C) x = rnd();
    const int lda = ta ? M : K, ldb = tb ? K : N;
    auto call = [&] { cpu::gemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, beta, C.data(), N); };
    call();  // warm-up: page faults, packing buffers, thread wake-up
    for (int i = 0; i < iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      call();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  } catch (const std::bad_alloc&) {
    throw MakeError(env, "ENOMEM", "benchGemm: out of memory");
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("gflops", 2.0 * M * N * K / best / 1e9);
  r.Set("seconds", best);
  r.Set("isa", isa_name(active_isa()));
  return r;
}

Napi::Float32Array copy_f32(Napi::Env env, const Napi::Float32Array& a) {
  Napi::Float32Array out = Napi::Float32Array::New(env, a.ElementLength());
  if (a.ElementLength()) std::memcpy(out.Data(), a.Data(), a.ElementLength() * sizeof(float));
  return out;
}

// adamwUpdate(p, g, m, v, {lr, beta1, beta2, eps, step, weightDecay}) -> {p, m, v}: one
// cpu::adamw_update on copies (the inputs are not modified).
Napi::Value AdamWUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "adamwUpdate";
  if (info.Length() < 5) bad(env, "adamwUpdate(p, g, m, v, hyper): expected 5 arguments");
  auto p = get_f32(env, fn, "p", info[0]), g = get_f32(env, fn, "g", info[1]);
  auto m = get_f32(env, fn, "m", info[2]), v = get_f32(env, fn, "v", info[3]);
  const size_t n = p.ElementLength();
  if (g.ElementLength() != n || m.ElementLength() != n || v.ElementLength() != n)
    bad(env, "adamwUpdate: p, g, m and v must have the same length");
  if (!info[4].IsObject()) bad(env, "adamwUpdate: hyper must be an object, got " + value_desc(info[4]));
  Napi::Object h = info[4].As<Napi::Object>();
  cpu::AdamWHyper hy;
  hy.lr = get_float(env, fn, "hyper.lr", h.Get("lr"));
  hy.beta1 = get_float(env, fn, "hyper.beta1", h.Get("beta1"));
  hy.beta2 = get_float(env, fn, "hyper.beta2", h.Get("beta2"));
  hy.eps = get_float(env, fn, "hyper.eps", h.Get("eps"));
  hy.step = get_dim(env, fn, "hyper.step", h.Get("step"));
  float wd = get_float(env, fn, "hyper.weightDecay", h.Get("weightDecay"));
  Napi::Float32Array po = copy_f32(env, p), mo = copy_f32(env, m), vo = copy_f32(env, v);
  cpu::adamw_update(po.Data(), g.Data(), mo.Data(), vo.Data(), n, hy, wd);
  Napi::Object r = Napi::Object::New(env);
  r.Set("p", po);
  r.Set("m", mo);
  r.Set("v", vo);
  return r;
}

uint64_t get_u64(Napi::Env env, const char* fn, const char* name, const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = true;
    uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) bad(env, std::string(fn) + ": " + name + " must fit in 64 unsigned bits");
    return u;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d) return (uint64_t)d;
  }
  bad(env, std::string(fn) + ": " + name + " must be an integer in [0, 2^53) or a bigint, got " + value_desc(v));
}

// dropout(x, p, seed, stream, backward = false) -> y (cpu::dropout_fwd / dropout_bwd).
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "dropout";
  if (info.Length() < 4) bad(env, "dropout(x, p, seed, stream, backward?): expected at least 4 arguments");
  auto x = get_f32(env, fn, "x", info[0]);
  float p = get_float(env, fn, "p", info[1]);
  if (!(p >= 0.0f && p <= 1.0f)) bad(env, "dropout: p must be in [0, 1], got " + num_str(p));
  uint64_t seed = get_u64(env, fn, "seed", info[2]), stream = get_u64(env, fn, "stream", info[3]);
  bool backward = info.Length() > 4 && info[4].ToBoolean().Value();
  const size_t n = x.ElementLength();
  Napi::Float32Array y = Napi::Float32Array::New(env, n);
  if (backward)
    cpu::dropout_bwd(y.Data(), x.Data(), n, p, seed, stream);
  else
    cpu::dropout_fwd(y.Data(), x.Data(), n, p, seed, stream);
  return y;
}

}  // namespace

void RegisterKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemmRef", Napi::Function::New(env, GemmRef, "gemmRef"));
  exports.Set("benchGemm", Napi::Function::New(env, BenchGemm, "benchGemm"));
  exports.Set("adamwUpdate", Napi::Function::New(env, AdamWUpdate, "adamwUpdate"));
  exports.Set("dropout", Napi::Function::New(env, Dropout, "dropout"));
}

}  // namespace rg::napi
