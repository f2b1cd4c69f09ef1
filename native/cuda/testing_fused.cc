// Test entry point of the fused training ops (backend.h "fused training ops"): runs one op
// through a whole rg::Backend, so tests/cuda/fused.test.ts can run it on "cpu" (the
// default implementations: exactly the unfused compositions) and on "cuda[:tf32|:fp32]"
// (the fused kernels) and compare. Outputs are poisoned with NaN first; accumulating and
// in-place outputs start from the given values.
//
//   fusedOpTest(device, op, args) -> { <output name>: Float32Array, ... }
//     toBf16               { x }                                               -> { y16 }
//     linearFwd            { x, W, b, rows, out, in, noBias, x16, W16 }        -> { y }
//     linearBwd            { dW, db, din, dout, x, W, rows, out, in, accumulate, noBias, noDin,
//                            x16, W16 }                               -> { dW, db?, din? }
//   (x16, W16: pass the backend's own bf16(x), bf16(W) as the op's x16, W16; y16: ask for
//   the op's bf16 copy)
//     dropoutAddLayernorm  { h, res, gamma, beta, rows, cols, eps, p, seed, sid, y16 }
//                                                          -> { h, y, mean, rstd, y16? }
//     layernormBwdDropout  { dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols, p, seed,
//                            sid, alias: 'none' | 'dy' | 'dx' }  -> { dx, dgamma, dbeta, ddrop }
//     actDropoutFwd        { act: 'relu' | 'gelu', x, p, seed, sid, y16 }     -> { y, y16? }
//     actDropoutBwd        { act, dy, x, p, seed, sid, inPlace }              -> { dx }
//     clipAdamw            { P, G, M, V, spans: [{ offset, size, decay }], lr, beta1, beta2,
//                            eps, step, wd, clip, P16 }              -> { P, G, M, V, P16? }
//   (P16: give the op a bf16 copy of P, poisoned with 0xFFFF, and return it)
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "cuda_util.h"
#include "napi/guard.h"
#include "testing_util.h"

namespace rg::cuda {
namespace {

using namespace testing;

// Backend buffers for one call, released on scope exit.
class Buffers {
 public:
  Buffers(Napi::Env env, Backend& be) : env_(env), be_(be) {}
  ~Buffers() {
    be_.synchronize();
    for (void* p : owned_) be_.release(p);
  }
  // A buffer holding `a`'s values.
  float* in(const Napi::Float32Array& a) {
    float* p = alloc(a.ElementLength());
    be_.upload(p, a.Data(), a.ElementLength() * sizeof(float));
    return p;
  }
  // A buffer of n floats poisoned with NaN.
  float* out(size_t n) {
    float* p = alloc(n);
    std::vector<float> nan(n, NAN);
    be_.upload(p, nan.data(), n * sizeof(float));
    return p;
  }
  Napi::Float32Array get(const float* p, size_t n) {
    Napi::Float32Array a = Napi::Float32Array::New(env_, n);
    be_.download(a.Data(), p, n * sizeof(float));
    return a;
  }
  // n bf16 values (raw bits), poisoned with 0xFFFF (a NaN).
  void* out16(size_t n) {
    void* p = alloc((n + 1) / 2);
    std::vector<uint16_t> nan(n, 0xFFFF);
    be_.upload(p, nan.data(), n * sizeof(uint16_t));
    return p;
  }
  // x rounded to bf16 by the backend itself (what the model's producers write).
  void* bf16_of(const float* x, size_t n) {
    void* p = out16(n);
    be_.to_bf16(p, x, n);
    return p;
  }
  Napi::Uint16Array get16(const void* p, size_t n) {
    Napi::Uint16Array a = Napi::Uint16Array::New(env_, n);
    be_.download(a.Data(), p, n * sizeof(uint16_t));
    return a;
  }

 private:
  float* alloc(size_t n) {
    void* p = be_.alloc((n ? n : 1) * sizeof(float));
    owned_.push_back(p);
    return static_cast<float*>(p);
  }
  Napi::Env env_;
  Backend& be_;
  std::vector<void*> owned_;
};

struct Args {
  Napi::Env env;
  Napi::Object o;
  Napi::Float32Array f32(const char* k) const {
    Napi::Value v = o.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      bad(env, std::string("args.") + k + " must be a Float32Array");
    return v.As<Napi::Float32Array>();
  }
  double num(const char* k) const { return num_field(env, o, k); }
  int integer(const char* k) const {
    const double d = num(k);
    if (d < 0 || d > 1e9 || std::floor(d) != d) bad(env, std::string("args.") + k + " must be an integer >= 0");
    return (int)d;
  }
  std::string str(const char* k, const char* dflt) const {
    Napi::Value v = o.Get(k);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(dflt);
  }
  bool flag(const char* k) const {
    Napi::Value v = o.Get(k);
    return v.IsBoolean() && v.As<Napi::Boolean>().Value();
  }
  Act act() const {
    const std::string a = str("act", "relu");
    if (a == "relu") return Act::ReLU;
    if (a == "gelu") return Act::GELU;
    bad(env, "args.act must be 'relu' or 'gelu'");
  }
};

void need(Napi::Env env, const Napi::Float32Array& a, size_t n, const char* name) {
  if (a.ElementLength() != n)
    bad(env, std::string("args.") + name + " has " + std::to_string(a.ElementLength()) +
                 " elements, expected " + std::to_string(n));
}

Napi::Value FusedOpTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsObject())
    bad(env, "fusedOpTest(device, op, args)");
  std::unique_ptr<Backend> be = make_backend(info[0].As<Napi::String>().Utf8Value());
  const std::string op = info[1].As<Napi::String>().Utf8Value();
  const Args a{env, info[2].As<Napi::Object>()};
  Buffers B(env, *be);
  Napi::Object r = Napi::Object::New(env);

  if (op == "linearFwd") {
    const int rows = a.integer("rows"), out = a.integer("out"), in = a.integer("in");
    auto x = a.f32("x"), W = a.f32("W"), b = a.f32("b");
    need(env, x, (size_t)rows * in, "x");
    need(env, W, (size_t)out * in, "W");
    need(env, b, (size_t)out, "b");
    float* y = B.out((size_t)rows * out);
    float* xd = B.in(x);
    const void* x16 = a.flag("x16") ? B.bf16_of(xd, (size_t)rows * in) : nullptr;
    float* Wd = B.in(W);
    const void* W16 = a.flag("W16") ? B.bf16_of(Wd, (size_t)out * in) : nullptr;
    be->linear_fwd(y, xd, x16, Wd, W16, a.flag("noBias") ? nullptr : B.in(b), rows, out, in);
    r.Set("y", B.get(y, (size_t)rows * out));
  } else if (op == "linearBwd") {
    const int rows = a.integer("rows"), out = a.integer("out"), in = a.integer("in");
    auto dW = a.f32("dW"), db = a.f32("db"), din = a.f32("din"), dout = a.f32("dout"), x = a.f32("x"),
         W = a.f32("W");
    need(env, dW, (size_t)out * in, "dW");
    need(env, db, (size_t)out, "db");
    need(env, din, (size_t)rows * in, "din");
    need(env, dout, (size_t)rows * out, "dout");
    need(env, x, (size_t)rows * in, "x");
    need(env, W, (size_t)out * in, "W");
    const bool acc = a.flag("accumulate"), no_db = a.flag("noBias"), no_din = a.flag("noDin");
    float *dWd = B.in(dW), *dbd = no_db ? nullptr : B.in(db);
    float* dind = no_din ? nullptr : acc ? B.in(din) : B.out((size_t)rows * in);
    float* xd = B.in(x);
    const void* x16 = a.flag("x16") ? B.bf16_of(xd, (size_t)rows * in) : nullptr;
    float* Wd = B.in(W);
    const void* W16 = a.flag("W16") ? B.bf16_of(Wd, (size_t)out * in) : nullptr;
    be->linear_bwd(dWd, dbd, dind, acc, B.in(dout), xd, x16, Wd, W16, rows, out, in);
    r.Set("dW", B.get(dWd, (size_t)out * in));
    if (dbd) r.Set("db", B.get(dbd, out));
    if (dind) r.Set("din", B.get(dind, (size_t)rows * in));
  } else if (op == "dropoutAddLayernorm") {
    const int rows = a.integer("rows"), cols = a.integer("cols");
    const size_t n = (size_t)rows * cols;
    auto h = a.f32("h"), res = a.f32("res"), g = a.f32("gamma"), bt = a.f32("beta");
    need(env, h, n, "h");
    need(env, res, n, "res");
    need(env, g, cols, "gamma");
    need(env, bt, cols, "beta");
    float* hd = B.in(h);
    float *y = B.out(n), *m = B.out(rows), *rs = B.out(rows);
    void* y16 = a.flag("y16") ? B.out16(n) : nullptr;
    be->dropout_add_layernorm(hd, B.in(res), (float)a.num("p"), (uint64_t)a.num("seed"),
                              (uint64_t)a.num("sid"), y, y16, m, rs, B.in(g), B.in(bt), rows, cols,
                              (float)a.num("eps"));
    if (y16) r.Set("y16", B.get16(y16, n));
    r.Set("h", B.get(hd, n));
    r.Set("y", B.get(y, n));
    r.Set("mean", B.get(m, rows));
    r.Set("rstd", B.get(rs, rows));
  } else if (op == "layernormBwdDropout") {
    const int rows = a.integer("rows"), cols = a.integer("cols");
    const size_t n = (size_t)rows * cols;
    auto dx = a.f32("dx"), dg = a.f32("dgamma"), db = a.f32("dbeta"), dy = a.f32("dy"),
         x = a.f32("x"), m = a.f32("mean"), rs = a.f32("rstd"), g = a.f32("gamma");
    need(env, dx, n, "dx");
    need(env, dy, n, "dy");
    need(env, x, n, "x");
    need(env, dg, cols, "dgamma");
    need(env, db, cols, "dbeta");
    need(env, g, cols, "gamma");
    need(env, m, rows, "mean");
    need(env, rs, rows, "rstd");
    const std::string alias = a.str("alias", "none");
    if (alias != "none" && alias != "dy" && alias != "dx") bad(env, "args.alias must be none, dy or dx");
    float *dxd = B.in(dx), *dgd = B.in(dg), *dbd = B.in(db), *dyd = B.in(dy);
    float* dd = alias == "dy" ? dyd : alias == "dx" ? dxd : B.out(n);
    be->layernorm_bwd_dropout(dxd, dgd, dbd, dyd, B.in(x), B.in(m), B.in(rs), B.in(g), rows, cols,
                              dd, (float)a.num("p"), (uint64_t)a.num("seed"), (uint64_t)a.num("sid"));
    r.Set("dx", B.get(dxd, n));
    r.Set("dgamma", B.get(dgd, cols));
    r.Set("dbeta", B.get(dbd, cols));
    r.Set("ddrop", B.get(dd, n));
  } else if (op == "actDropoutFwd") {
    auto x = a.f32("x");
    const size_t n = x.ElementLength();
    float* y = B.out(n);
    void* y16 = a.flag("y16") ? B.out16(n) : nullptr;
    be->act_dropout_fwd(a.act(), y, y16, B.in(x), n, (float)a.num("p"), (uint64_t)a.num("seed"),
                        (uint64_t)a.num("sid"));
    r.Set("y", B.get(y, n));
    if (y16) r.Set("y16", B.get16(y16, n));
  } else if (op == "toBf16") {
    auto x = a.f32("x");
    const size_t n = x.ElementLength();
    void* y16 = B.out16(n);
    be->to_bf16(y16, B.in(x), n);
    r.Set("y16", B.get16(y16, n));
  } else if (op == "actDropoutBwd") {
    auto dy = a.f32("dy"), x = a.f32("x");
    const size_t n = x.ElementLength();
    need(env, dy, n, "dy");
    float* dyd = B.in(dy);
    float* dx = a.flag("inPlace") ? dyd : B.out(n);
    be->act_dropout_bwd(a.act(), dx, dyd, B.in(x), n, (float)a.num("p"), (uint64_t)a.num("seed"),
                        (uint64_t)a.num("sid"));
    r.Set("dx", B.get(dx, n));
  } else if (op == "clipAdamw") {
    auto P = a.f32("P"), G = a.f32("G"), M = a.f32("M"), V = a.f32("V");
    const size_t n = P.ElementLength();
    need(env, G, n, "G");
    need(env, M, n, "M");
    need(env, V, n, "V");
    Napi::Value sv = a.o.Get("spans");
    if (!sv.IsArray()) bad(env, "args.spans must be an array");
    Napi::Array sa = sv.As<Napi::Array>();
    std::vector<ParamSpan> spans;
    for (uint32_t i = 0; i < sa.Length(); ++i) {
      const Args s{env, sa.Get(i).As<Napi::Object>()};
      ParamSpan p{(size_t)s.integer("offset"), (size_t)s.integer("size"), s.flag("decay")};
      if (p.offset + p.size > n) bad(env, "args.spans[" + std::to_string(i) + "] lies outside P");
      spans.push_back(p);
    }
    AdamWHyper h{(float)a.num("lr"), (float)a.num("beta1"), (float)a.num("beta2"), (float)a.num("eps"),
                 (int64_t)a.num("step")};
    float *Pd = B.in(P), *Gd = B.in(G), *Md = B.in(M), *Vd = B.in(V);
    void* P16 = a.flag("P16") ? B.out16(n) : nullptr;
    be->clip_adamw(Pd, P16, Gd, Md, Vd, n, spans.data(), (int)spans.size(), h, (float)a.num("wd"),
                   a.num("clip"));
    if (P16) r.Set("P16", B.get16(P16, n));
    r.Set("P", B.get(Pd, n));
    r.Set("G", B.get(Gd, n));
    r.Set("M", B.get(Md, n));
    r.Set("V", B.get(Vd, n));
  } else {
    bad(env, "unknown op '" + op + "'");
  }
  return r;
}

}  // namespace

void RegisterFusedTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("fusedOpTest", Napi::Function::New(
                                 env, [](const Napi::CallbackInfo& info) {
                                   return napi::Guard(info.Env(), [&] { return FusedOpTest(info); });
                                 },
                                 "fusedOpTest"));
}

}  // namespace rg::cuda
