// The CPU attention kernels over Float32Arrays: the references tests/cuda compares the CUDA
// attention kernels with. Layouts as cpu/attention.h (row and batch strides, so views into
// fused projection buffers work). Every argument is checked; bad input throws EINVAL.
//
//   shape = { B, H, Tq, Tk, dh, ldq, ldk, ldv, ldo, qBs, kBs, vBs, oBs, causal, scale }
//   attentionFwd(shape, q, k, v, kLen, opts?) -> { out, probs }
//       out: (B-1)*oBs + (Tq-1)*ldo + H*dh elements (zeros outside the [B, Tq, H*dh] view);
//       probs: [B, H, Tq, Tk]. kLen: Int32Array(B), or null/undefined for "every key".
//   attentionBwd(shape, q, k, v, kLen, probs, dout, opts?) -> { dq, dk, dv }
//       dq, dk, dv as long as q, k, v (zeros outside the views).
//   opts: { fast?: boolean }: false (default) runs the double-accumulating references
//       (attention_*_ref), true the optimized CPU backend kernels.
#include <cmath>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/attention.h"
#include "napi/register.h"

namespace rg::napi {
namespace {

[[noreturn]] void bad(Napi::Env env, const std::string& fn, const std::string& msg) {
  throw MakeError(env, "EINVAL", fn + ": " + msg);
}

std::string num(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

double int_field(Napi::Env env, const std::string& fn, Napi::Object o, const char* key, double lo, double hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) bad(env, fn, std::string("shape.") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < lo || d > hi)
    bad(env, fn, std::string("shape.") + key + " must be an integer in [" + num(lo) + ", " + num(hi) + "], got " + num(d));
  return d;
}

// Elements one [B, T, H*dh] view with these strides spans.
double extent(const cpu::AttnShape& s, int T, long ld, long bs) {
  return (double)(s.B - 1) * bs + (double)(T - 1) * ld + (double)s.H * s.dh;
}

cpu::AttnShape parse_shape(Napi::Env env, const std::string& fn, const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsFunction())
    bad(env, fn, "shape must be an object { B, H, Tq, Tk, dh, ldq, ldk, ldv, ldo, qBs, kBs, vBs, oBs, causal, scale }");
  Napi::Object o = v.As<Napi::Object>();
  cpu::AttnShape s{};
  const double kMax = 2147483647.0, kMaxL = 9007199254740991.0;
  s.B = (int)int_field(env, fn, o, "B", 1, kMax);
  s.H = (int)int_field(env, fn, o, "H", 1, kMax);
  s.Tq = (int)int_field(env, fn, o, "Tq", 1, kMax);
  s.Tk = (int)int_field(env, fn, o, "Tk", 1, kMax);
  s.dh = (int)int_field(env, fn, o, "dh", 1, kMax);
  s.ldq = (long)int_field(env, fn, o, "ldq", 1, kMaxL);
  s.ldk = (long)int_field(env, fn, o, "ldk", 1, kMaxL);
  s.ldv = (long)int_field(env, fn, o, "ldv", 1, kMaxL);
  s.ldo = (long)int_field(env, fn, o, "ldo", 1, kMaxL);
  s.q_bs = (long)int_field(env, fn, o, "qBs", 0, kMaxL);
  s.k_bs = (long)int_field(env, fn, o, "kBs", 0, kMaxL);
  s.v_bs = (long)int_field(env, fn, o, "vBs", 0, kMaxL);
  s.o_bs = (long)int_field(env, fn, o, "oBs", 0, kMaxL);
  Napi::Value c = o.Get("causal");
  if (!c.IsBoolean()) bad(env, fn, "shape.causal must be a boolean");
  s.causal = c.As<Napi::Boolean>().Value();
  Napi::Value sc = o.Get("scale");
  if (!sc.IsNumber() || !std::isfinite(sc.As<Napi::Number>().DoubleValue()) ||
      std::fabs(sc.As<Napi::Number>().DoubleValue()) > 3.4e38)
    bad(env, fn, "shape.scale must be a finite float32 number");
  s.scale = (float)sc.As<Napi::Number>().DoubleValue();
  const double row = (double)s.H * s.dh;
  auto strides = [&](const char* name, long ld, long bs, int T) {
    if ((double)ld < row)
      bad(env, fn, std::string("shape.ld") + name + " = " + num((double)ld) + " is less than H*dh = " + num(row));
    if (s.B > 1 && (double)bs < (double)T * ld)
      bad(env, fn, std::string("shape.") + name + "Bs = " + num((double)bs) + " overlaps the batch rows (needs >= " +
                       num((double)T * ld) + ")");
  };
  strides("q", s.ldq, s.q_bs, s.Tq);
  strides("k", s.ldk, s.k_bs, s.Tk);
  strides("v", s.ldv, s.v_bs, s.Tk);
  strides("o", s.ldo, s.o_bs, s.Tq);
  if (extent(s, s.Tq, s.ldq, s.q_bs) > 1e9 || extent(s, s.Tk, s.ldk, s.k_bs) > 1e9 ||
      extent(s, s.Tk, s.ldv, s.v_bs) > 1e9 || extent(s, s.Tq, s.ldo, s.o_bs) > 1e9 ||
      (double)s.B * s.H * s.Tq * s.Tk > 1e9)
    bad(env, fn, "views (or probs) over 1e9 elements are not supported here");
  return s;
}

Napi::Float32Array f32(Napi::Env env, const std::string& fn, const Napi::CallbackInfo& info, size_t i,
                       const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    bad(env, fn, std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

void check_len(Napi::Env env, const std::string& fn, const char* name, const Napi::Float32Array& a, double need) {
  if ((double)a.ElementLength() < need)
    bad(env, fn, std::string(name) + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " +
                     num(need) + " for the shape's strides");
}

// kLen: Int32Array(B), or null/undefined (every key visible). Empty vector: none given.
std::vector<int> klen_arg(Napi::Env env, const std::string& fn, const Napi::CallbackInfo& info, size_t i,
                          const cpu::AttnShape& s) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return {};
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    bad(env, fn, "kLen must be an Int32Array, null or undefined");
  Napi::Int32Array a = info[i].As<Napi::Int32Array>();
  if (a.ElementLength() != (size_t)s.B)
    bad(env, fn, "kLen has " + std::to_string(a.ElementLength()) + " elements, expected B = " + std::to_string(s.B));
  return std::vector<int>(a.Data(), a.Data() + a.ElementLength());
}

bool fast_opt(Napi::Env env, const std::string& fn, const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return false;
  if (!info[i].IsObject() || info[i].IsArray() || info[i].IsTypedArray())
    bad(env, fn, "opts must be an object { fast?: boolean }");
  Napi::Value f = info[i].As<Napi::Object>().Get("fast");
  if (f.IsUndefined()) return false;
  if (!f.IsBoolean()) bad(env, fn, "opts.fast must be a boolean");
  return f.As<Napi::Boolean>().Value();
}

template <typename F>
void run(Napi::Env env, const std::string& fn, F&& f) {
  try {
    f();
  } catch (const std::bad_alloc&) {
    throw MakeError(env, "ENOMEM", fn + ": out of memory");
  } catch (const rg::Error& e) {
    throw MakeError(env, e.code(), e.what());
  }
}

Napi::Value AttentionFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "attentionFwd";
  if (info.Length() < 4) bad(env, fn, "expected (shape, q, k, v, kLen, opts?)");
  cpu::AttnShape s = parse_shape(env, fn, info[0]);
  auto q = f32(env, fn, info, 1, "q"), k = f32(env, fn, info, 2, "k"), v = f32(env, fn, info, 3, "v");
  check_len(env, fn, "q", q, extent(s, s.Tq, s.ldq, s.q_bs));
  check_len(env, fn, "k", k, extent(s, s.Tk, s.ldk, s.k_bs));
  check_len(env, fn, "v", v, extent(s, s.Tk, s.ldv, s.v_bs));
  std::vector<int> kl = klen_arg(env, fn, info, 4, s);
  const bool fast = fast_opt(env, fn, info, 5);
  Napi::Float32Array out = Napi::Float32Array::New(env, (size_t)extent(s, s.Tq, s.ldo, s.o_bs));
  Napi::Float32Array probs = Napi::Float32Array::New(env, (size_t)s.B * s.H * s.Tq * s.Tk);
  run(env, fn, [&] {
    (fast ? cpu::attention_fwd : cpu::attention_fwd_ref)(s, q.Data(), k.Data(), v.Data(),
                                                         kl.empty() ? nullptr : kl.data(), out.Data(),
                                                         probs.Data());
  });
  Napi::Object r = Napi::Object::New(env);
  r.Set("out", out);
  r.Set("probs", probs);
  return r;
}

Napi::Value AttentionBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "attentionBwd";
  if (info.Length() < 7) bad(env, fn, "expected (shape, q, k, v, kLen, probs, dout, opts?)");
  cpu::AttnShape s = parse_shape(env, fn, info[0]);
  auto q = f32(env, fn, info, 1, "q"), k = f32(env, fn, info, 2, "k"), v = f32(env, fn, info, 3, "v");
  check_len(env, fn, "q", q, extent(s, s.Tq, s.ldq, s.q_bs));
  check_len(env, fn, "k", k, extent(s, s.Tk, s.ldk, s.k_bs));
  check_len(env, fn, "v", v, extent(s, s.Tk, s.ldv, s.v_bs));
  std::vector<int> kl = klen_arg(env, fn, info, 4, s);
  auto probs = f32(env, fn, info, 5, "probs"), dout = f32(env, fn, info, 6, "dout");
  const double np = (double)s.B * s.H * s.Tq * s.Tk;
  if ((double)probs.ElementLength() != np)
    bad(env, fn, "probs has " + std::to_string(probs.ElementLength()) + " elements, expected B*H*Tq*Tk = " + num(np));
  check_len(env, fn, "dout", dout, extent(s, s.Tq, s.ldo, s.o_bs));
  const bool fast = fast_opt(env, fn, info, 7);
  Napi::Float32Array dq = Napi::Float32Array::New(env, q.ElementLength());
  Napi::Float32Array dk = Napi::Float32Array::New(env, k.ElementLength());
  Napi::Float32Array dv = Napi::Float32Array::New(env, v.ElementLength());
  run(env, fn, [&] {
    (fast ? cpu::attention_bwd : cpu::attention_bwd_ref)(s, q.Data(), k.Data(), v.Data(),
                                                         kl.empty() ? nullptr : kl.data(), probs.Data(),
                                                         dout.Data(), dq.Data(), dk.Data(), dv.Data());
  });
  Napi::Object r = Napi::Object::New(env);
  r.Set("dq", dq);
  r.Set("dk", dk);
  r.Set("dv", dv);
  return r;
}

}  // namespace

void RegisterAttentionKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionFwd", Napi::Function::New(env, AttentionFwd, "attentionFwd"));
  exports.Set("attentionBwd", Napi::Function::New(env, AttentionBwd, "attentionBwd"));
}

}  // namespace rg::napi
