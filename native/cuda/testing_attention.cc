// Test and benchmark entry points of the attention kernel family (attention.cu). Inputs are
// host Float32Arrays laid out as cpu/attention.h says (row and batch strides, so views into
// fused projection buffers work); outputs come back as fresh Float32Arrays after running
// on device 0 with the outputs poisoned (NaN) first, so unwritten elements show.
//
//   shape = { B, H, Tq, Tk, dh, ldq, ldk, ldv, ldo, qBs, kBs, vBs, oBs, causal, scale }
//   attentionFwdTest(shape, q, k, v, kLen, opts?) -> { out, lse }
//       out: (B-1)*oBs + (Tq-1)*ldo + H*dh elements (NaN outside the [B, Tq, H*dh] view);
//       lse: B*H*Tq. kLen: Int32Array(B), or null/undefined for "every key".
//   attentionBwdTest(shape, q, k, v, kLen, out, lse, dout, opts?) -> { dq, dk, dv }
//       dq, dk, dv as long as q, k, v (NaN outside the views the kernel writes).
//   opts: { bf16?: boolean, split?: boolean }: run with attention_set_precision(true), and
//       with P and dS as bf16 hi + lo (split, the default) or rounded to bf16 (split
//       false); both restored after.
//   attentionBench({ B, H, T, dh, causal, iters, bf16, split? }) -> { fwdMs, bwdMs }
//       self-attention out of a fused [B*T, 3*H*dh] buffer, kLen = T for every row, random
//       device data; median of `iters` timed runs (cudaEvents) after warm-up runs.
#include <cuda_runtime.h>
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_util.h"
#include "kernels.h"
#include "testing_util.h"

namespace rg::cuda {

// attention.cu: fills p[0, n) with uniform values in [lo, hi) from a hash of (seed, index).
int attention_bench_fill(float* p, size_t n, uint32_t seed, float lo, float hi, Stream stream);

namespace {

using namespace testing;

struct AttnOpts {
  bool bf16 = false, split = true;
};
// A boolean field of an options object (absent: dflt).
bool bool_field(Napi::Env env, Napi::Object o, const char* where, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsBoolean()) bad(env, std::string(where) + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}
// opts { bf16?: boolean, split?: boolean } at argument i (absent: fp32).
AttnOpts attn_opts(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined()) return {};
  if (!info[i].IsObject() || info[i].IsArray() || info[i].IsTypedArray())
    bad(env, "opts must be an object { bf16?: boolean, split?: boolean }");
  Napi::Object o = info[i].As<Napi::Object>();
  return AttnOpts{bool_field(env, o, "opts.", "bf16", false), bool_field(env, o, "opts.", "split", true)};
}

// Sets the attention precision (and bf16's split) for one entry point's run; restores fp32
// and the previous split on scope exit.
struct Precision {
  explicit Precision(const AttnOpts& o) : split_(attention_split()) {
    attention_set_precision(o.bf16);
    attention_set_split(o.split);
  }
  ~Precision() {
    attention_set_precision(false);
    attention_set_split(split_);
  }
  Precision(const Precision&) = delete;
  Precision& operator=(const Precision&) = delete;

 private:
  bool split_;
};

constexpr int kMaxDh = 128;  // attention.cu compiles head dims up to 128

// A device allocation of n ints, freed on scope exit.
class DeviceInts {
 public:
  DeviceInts(Napi::Env env, size_t n) : n_(n) {
    if (n) check(env, "cudaMalloc", cudaMalloc((void**)&p_, n * sizeof(int)));
  }
  ~DeviceInts() {
    if (p_) cudaFree(p_);
  }
  DeviceInts(const DeviceInts&) = delete;
  DeviceInts& operator=(const DeviceInts&) = delete;
  int* get() const { return p_; }

 private:
  int* p_ = nullptr;
  size_t n_ = 0;
};


double int_field(Napi::Env env, Napi::Object o, const char* key, double lo, double hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) bad(env, std::string("shape.") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < lo || d > hi)
    bad(env, std::string("shape.") + key + " must be an integer in [" + std::to_string((long long)lo) + ", " +
                 std::to_string((long long)hi) + "], got " + std::to_string(d));
  return d;
}

// Elements one [B, T, H*dh] view with these strides spans.
double extent(const cpu::AttnShape& s, int T, long ld, long bs) {
  return (double)(s.B - 1) * bs + (double)(T - 1) * ld + (double)s.H * s.dh;
}

cpu::AttnShape parse_shape(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray()) bad(env, "shape must be an object");
  Napi::Object o = v.As<Napi::Object>();
  cpu::AttnShape s{};
  const double kMax = 2147483647.0, kMaxL = 9007199254740991.0;
  s.B = (int)int_field(env, o, "B", 1, kMax);
  s.H = (int)int_field(env, o, "H", 1, kMax);
  s.Tq = (int)int_field(env, o, "Tq", 1, kMax);
  s.Tk = (int)int_field(env, o, "Tk", 1, kMax);
  s.dh = (int)int_field(env, o, "dh", 1, kMax);
  if (s.dh > kMaxDh)
    bad(env, "shape.dh = " + std::to_string(s.dh) + " exceeds the CUDA attention kernels' limit of " +
                 std::to_string(kMaxDh));
  s.ldq = (long)int_field(env, o, "ldq", 1, kMaxL);
  s.ldk = (long)int_field(env, o, "ldk", 1, kMaxL);
  s.ldv = (long)int_field(env, o, "ldv", 1, kMaxL);
  s.ldo = (long)int_field(env, o, "ldo", 1, kMaxL);
  s.q_bs = (long)int_field(env, o, "qBs", 0, kMaxL);
  s.k_bs = (long)int_field(env, o, "kBs", 0, kMaxL);
  s.v_bs = (long)int_field(env, o, "vBs", 0, kMaxL);
  s.o_bs = (long)int_field(env, o, "oBs", 0, kMaxL);
  Napi::Value c = o.Get("causal");
  if (!c.IsBoolean()) bad(env, "shape.causal must be a boolean");
  s.causal = c.As<Napi::Boolean>().Value();
  Napi::Value sc = o.Get("scale");
  if (!sc.IsNumber() || !std::isfinite(sc.As<Napi::Number>().DoubleValue()))
    bad(env, "shape.scale must be a finite number");
  s.scale = (float)sc.As<Napi::Number>().DoubleValue();
  const long row = (long)s.H * s.dh;
  auto strides = [&](const char* name, long ld, long bs, int T) {
    if (ld < row)
      bad(env, std::string("shape.ld") + name + " = " + std::to_string(ld) + " is less than H*dh = " + std::to_string(row));
    if (s.B > 1 && (double)bs < (double)T * ld)
      bad(env, std::string("shape.") + name + "Bs = " + std::to_string(bs) + " overlaps the batch rows (needs >= " +
                   std::to_string((double)T * ld) + ")");
  };
  strides("q", s.ldq, s.q_bs, s.Tq);
  strides("k", s.ldk, s.k_bs, s.Tk);
  strides("v", s.ldv, s.v_bs, s.Tk);
  strides("o", s.ldo, s.o_bs, s.Tq);
  if (extent(s, s.Tq, s.ldq, s.q_bs) > 1e9 || extent(s, s.Tk, s.ldk, s.k_bs) > 1e9 ||
      extent(s, s.Tk, s.ldv, s.v_bs) > 1e9 || extent(s, s.Tq, s.ldo, s.o_bs) > 1e9)
    bad(env, "shape: views over 1e9 elements are not supported here");
  return s;
}

void check_len(Napi::Env env, const char* name, const Napi::Float32Array& a, double need) {
  if ((double)a.ElementLength() < need)
    bad(env, std::string(name) + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " +
                 std::to_string((long long)need) + " for the shape's strides");
}

// kLen: Int32Array(B), or null/undefined (every key visible).
bool klen_arg(const Napi::CallbackInfo& info, size_t i, const cpu::AttnShape& s, std::vector<int>& out) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return false;
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    bad(env, "kLen must be an Int32Array, null or undefined");
  Napi::Int32Array a = info[i].As<Napi::Int32Array>();
  if (a.ElementLength() != (size_t)s.B)
    bad(env, "kLen has " + std::to_string(a.ElementLength()) + " elements, expected B = " + std::to_string(s.B));
  out.assign(a.Data(), a.Data() + a.ElementLength());
  return true;
}

Napi::Value AttentionFwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) bad(env, "attentionFwdTest(shape, q, k, v, kLen): expected at least 4 arguments");
  cpu::AttnShape s = parse_shape(env, info[0]);
  auto q = f32_arg(info, 1, "q"), k = f32_arg(info, 2, "k"), v = f32_arg(info, 3, "v");
  check_len(env, "q", q, extent(s, s.Tq, s.ldq, s.q_bs));
  check_len(env, "k", k, extent(s, s.Tk, s.ldk, s.k_bs));
  check_len(env, "v", v, extent(s, s.Tk, s.ldv, s.v_bs));
  std::vector<int> kl;
  const bool has_kl = klen_arg(info, 4, s, kl);
  const AttnOpts opts = attn_opts(info, 5);
  const size_t n_out = (size_t)extent(s, s.Tq, s.ldo, s.o_bs);
  const size_t n_lse = (size_t)s.B * s.H * s.Tq;

  check(env, "cudaSetDevice", cudaSetDevice(0));
  Precision prec(opts);
  DeviceFloats dq(env, q.ElementLength()), dk(env, k.ElementLength()), dv(env, v.ElementLength());
  DeviceFloats dout(env, n_out), dlse(env, n_lse);
  DeviceInts dkl(env, has_kl ? kl.size() : 0);
  upload(env, dq, q);
  upload(env, dk, k);
  upload(env, dv, v);
  if (has_kl)
    check(env, "cudaMemcpy H2D", cudaMemcpy(dkl.get(), kl.data(), kl.size() * sizeof(int), cudaMemcpyHostToDevice));
  poison(env, dout);
  poison(env, dlse);
  check(env, "attention_fwd launch",
        rg::cuda::attention_fwd(s, dq.get(), dk.get(), dv.get(), has_kl ? dkl.get() : nullptr, dout.get(), dlse.get()));
  check(env, "attention_fwd", cudaDeviceSynchronize());
  Napi::Object r = Napi::Object::New(env);
  r.Set("out", download(env, dout));
  r.Set("lse", download(env, dlse));
  return r;
}

Napi::Value AttentionBwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8)
    bad(env, "attentionBwdTest(shape, q, k, v, kLen, out, lse, dout): expected 8 arguments");
  cpu::AttnShape s = parse_shape(env, info[0]);
  auto q = f32_arg(info, 1, "q"), k = f32_arg(info, 2, "k"), v = f32_arg(info, 3, "v");
  std::vector<int> kl;
  const bool has_kl = klen_arg(info, 4, s, kl);
  auto out = f32_arg(info, 5, "out"), lse = f32_arg(info, 6, "lse"), dout = f32_arg(info, 7, "dout");
  check_len(env, "q", q, extent(s, s.Tq, s.ldq, s.q_bs));
  check_len(env, "k", k, extent(s, s.Tk, s.ldk, s.k_bs));
  check_len(env, "v", v, extent(s, s.Tk, s.ldv, s.v_bs));
  check_len(env, "out", out, extent(s, s.Tq, s.ldo, s.o_bs));
  check_len(env, "dout", dout, extent(s, s.Tq, s.ldo, s.o_bs));
  const size_t n_lse = (size_t)s.B * s.H * s.Tq;
  if (lse.ElementLength() != n_lse)
    bad(env, "lse has " + std::to_string(lse.ElementLength()) + " elements, expected B*H*Tq = " + std::to_string(n_lse));
  const AttnOpts opts = attn_opts(info, 8);

  check(env, "cudaSetDevice", cudaSetDevice(0));
  Precision prec(opts);
  DeviceFloats dq(env, q.ElementLength()), dk(env, k.ElementLength()), dv(env, v.ElementLength());
  DeviceFloats dout_d(env, dout.ElementLength()), out_d(env, out.ElementLength()), lse_d(env, n_lse);
  DeviceFloats gq(env, q.ElementLength()), gk(env, k.ElementLength()), gv(env, v.ElementLength());
  DeviceInts dkl(env, has_kl ? kl.size() : 0);
  DeviceBytes scratch(env, rg::cuda::attention_bwd_scratch_bytes(s));
  upload(env, dq, q);
  upload(env, dk, k);
  upload(env, dv, v);
  upload(env, out_d, out);
  upload(env, lse_d, lse);
  upload(env, dout_d, dout);
  if (has_kl)
    check(env, "cudaMemcpy H2D", cudaMemcpy(dkl.get(), kl.data(), kl.size() * sizeof(int), cudaMemcpyHostToDevice));
  poison(env, gq);
  poison(env, gk);
  poison(env, gv);
  check(env, "attention_bwd launch",
        rg::cuda::attention_bwd(s, dq.get(), dk.get(), dv.get(), has_kl ? dkl.get() : nullptr, out_d.get(), lse_d.get(),
                      dout_d.get(), gq.get(), gk.get(), gv.get(), scratch.get()));
  check(env, "attention_bwd", cudaDeviceSynchronize());
  Napi::Object r = Napi::Object::New(env);
  r.Set("dq", download(env, gq));
  r.Set("dk", download(env, gk));
  r.Set("dv", download(env, gv));
  return r;
}

Napi::Value AttentionBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) bad(env, "attentionBench({ B, H, T, dh, causal, iters, bf16, split? })");
  Napi::Object o = info[0].As<Napi::Object>();
  auto geti = [&](const char* key, double lo, double hi) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) bad(env, std::string("attentionBench: ") + key + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || d < lo || d > hi)
      bad(env, std::string("attentionBench: ") + key + " must be an integer in [" + std::to_string((long long)lo) +
                   ", " + std::to_string((long long)hi) + "]");
    return (int)d;
  };
  const int B = geti("B", 1, 1 << 20), H = geti("H", 1, 1 << 12), T = geti("T", 1, 1 << 20);
  const int dh = geti("dh", 1, kMaxDh), iters = geti("iters", 1, 100000);
  const bool causal = bool_field(env, o, "attentionBench: ", "causal", false);
  const AttnOpts opts{bool_field(env, o, "attentionBench: ", "bf16", false),
                      bool_field(env, o, "attentionBench: ", "split", true)};
  const long d = (long)H * dh;
  if ((double)B * T * 3 * d > 2e9) bad(env, "attentionBench: the fused qkv buffer would exceed 2e9 elements");

  cpu::AttnShape s{};
  s.B = B;
  s.H = H;
  s.Tq = T;
  s.Tk = T;
  s.dh = dh;
  s.ldq = s.ldk = s.ldv = 3 * d;
  s.ldo = d;
  s.q_bs = s.k_bs = s.v_bs = (long)T * 3 * d;
  s.o_bs = (long)T * d;
  s.causal = causal;
  s.scale = (float)(1.0 / std::sqrt((double)dh));

  check(env, "cudaSetDevice", cudaSetDevice(0));
  const size_t nqkv = (size_t)B * T * 3 * d, no = (size_t)B * T * d, nl = (size_t)B * H * T;
  DeviceFloats qkv(env, nqkv), dqkv(env, nqkv), out(env, no), dout(env, no), lse(env, nl);
  DeviceInts kl(env, (size_t)B);
  DeviceBytes scratch(env, rg::cuda::attention_bwd_scratch_bytes(s));
  {
    std::vector<int> h((size_t)B, T);
    check(env, "cudaMemcpy H2D", cudaMemcpy(kl.get(), h.data(), h.size() * sizeof(int), cudaMemcpyHostToDevice));
  }
  check(env, "fill", attention_bench_fill(qkv.get(), nqkv, 1234u, -1.0f, 1.0f, nullptr));
  check(env, "fill", attention_bench_fill(dout.get(), no, 5678u, -1.0f, 1.0f, nullptr));
  const float* q = qkv.get();
  const float* k = qkv.get() + d;
  const float* v = qkv.get() + 2 * d;
  float* dq = dqkv.get();
  float* dk = dqkv.get() + d;
  float* dv = dqkv.get() + 2 * d;

  Precision prec(opts);
  auto fwd = [&]() { return rg::cuda::attention_fwd(s, q, k, v, kl.get(), out.get(), lse.get()); };
  auto bwd = [&]() {
    return rg::cuda::attention_bwd(s, q, k, v, kl.get(), out.get(), lse.get(), dout.get(), dq, dk, dv, scratch.get());
  };
  for (int w = 0; w < 3; ++w) {
    check(env, "attention_fwd launch", fwd());
    check(env, "attention_bwd launch", bwd());
  }
  check(env, "warm-up", cudaDeviceSynchronize());

  cudaEvent_t e0, e1, e2;
  check(env, "cudaEventCreate", cudaEventCreate(&e0));
  check(env, "cudaEventCreate", cudaEventCreate(&e1));
  check(env, "cudaEventCreate", cudaEventCreate(&e2));
  std::vector<float> tf, tb;
  cudaError_t err = cudaSuccess;
  for (int it = 0; it < iters && err == cudaSuccess; ++it) {
    cudaEventRecord(e0);
    err = (cudaError_t)fwd();
    cudaEventRecord(e1);
    if (err == cudaSuccess) err = (cudaError_t)bwd();
    cudaEventRecord(e2);
    if (err == cudaSuccess) err = cudaEventSynchronize(e2);
    float a = 0, b = 0;
    if (err == cudaSuccess) err = cudaEventElapsedTime(&a, e0, e1);
    if (err == cudaSuccess) err = cudaEventElapsedTime(&b, e1, e2);
    tf.push_back(a);
    tb.push_back(b);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaEventDestroy(e2);
  check(env, "attention bench", err);
  Napi::Object r = Napi::Object::New(env);
  r.Set("fwdMs", median(tf));
  r.Set("bwdMs", median(tb));
  return r;
}

}  // namespace

void RegisterAttentionTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionFwdTest", Napi::Function::New(env, AttentionFwdTest, "attentionFwdTest"));
  exports.Set("attentionBwdTest", Napi::Function::New(env, AttentionBwdTest, "attentionBwdTest"));
  exports.Set("attentionBench", Napi::Function::New(env, AttentionBench, "attentionBench"));
}

}  // namespace rg::cuda
