// The CPU rows kernels over typed arrays: the references tests/cuda/rows.test.ts compares the
// CUDA rows kernels (native/cuda/{layernorm,xent,embedding,elementwise}.cu) with. Inputs are
// never modified: an accumulating kernel runs on copies of its accumulators, returned.
//
//   layernormFwd(x, gamma, beta, rows, cols, eps) -> { y, mean, rstd }
//   layernormBwd(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols) -> { dx, dgamma, dbeta }
//   xent(logits, targets: Int32Array, N, V, eps, ignoreIndex, gradScale)
//       -> { losses, targetLogprob, dlogits }
//   logSoftmaxRows(x, N, V) -> out
//   embedFwd(E, ids: Int32Array, N, T, pos0, d, scale, pe) -> out
//   embedBwd(dE, dout, ids: Int32Array, N, d, scale) -> dE
//   sinusoidalTable(maxLen, d) -> pe
//   actFwd('relu' | 'gelu', x) -> y;  actBwd(act, dy, x) -> dx
//   biasAdd(y, b, rows, cols) -> y;  biasGrad(db, dy, rows, cols) -> db
//   addInplace(y, x) -> y;  scaleInplace(x, s) -> x;  sumSquares(x) -> number
// Bad arguments throw an Error with code EINVAL.
#include <cmath>
#include <cstring>
#include <string>

#include "cpu/activation.h"
#include "cpu/adamw.h"
#include "cpu/embedding.h"
#include "cpu/layernorm.h"
#include "cpu/xent.h"
#include "napi/register.h"

namespace rg::napi {
namespace {

[[noreturn]] void bad(Napi::Env env, const std::string& msg) { throw MakeError(env, "EINVAL", msg); }

void need_args(const Napi::CallbackInfo& info, size_t n, const char* sig) {
  if (info.Length() < n)
    bad(info.Env(), std::string(sig) + ": expected " + std::to_string(n) + " arguments, got " +
                        std::to_string(info.Length()));
}

Napi::Float32Array f32(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    bad(info.Env(), std::string(fn) + ": " + name + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

Napi::Int32Array i32(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    bad(info.Env(), std::string(fn) + ": " + name + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

// An integer in [lo, 2^31 - 1].
int int_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, double lo) {
  const Napi::Value v = info[i];
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(info.Env(), std::string(fn) + ": " + name + " must be an integer >= " +
                        std::to_string((long long)lo));
  return (int)d;
}

float float_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  const Napi::Value v = info[i];
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || std::fabs(d) > 3.4e38)
    bad(info.Env(), std::string(fn) + ": " + name + " must be a finite float32 number");
  return (float)d;
}

void need_len(Napi::Env env, const char* fn, const char* name, size_t have, size_t want) {
  if (have != want)
    bad(env, std::string(fn) + ": " + name + " has " + std::to_string(have) + " elements, expected " +
                 std::to_string(want));
}

Napi::Float32Array copy_of(Napi::Env env, const Napi::Float32Array& a) {
  Napi::Float32Array out = Napi::Float32Array::New(env, a.ElementLength());
  if (a.ElementLength()) std::memcpy(out.Data(), a.Data(), a.ElementLength() * sizeof(float));
  return out;
}

cpu::Act act_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const Napi::Value v = info[i];
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "relu") return cpu::Act::ReLU;
  if (s == "gelu") return cpu::Act::GELU;
  bad(info.Env(), std::string(fn) + ": act must be 'relu' or 'gelu'");
}

Napi::Value LayernormFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "layernormFwd";
  need_args(info, 6, "layernormFwd(x, gamma, beta, rows, cols, eps)");
  auto x = f32(info, 0, fn, "x"), g = f32(info, 1, fn, "gamma"), b = f32(info, 2, fn, "beta");
  const int rows = int_arg(info, 3, fn, "rows", 0), cols = int_arg(info, 4, fn, "cols", 1);
  const float eps = float_arg(info, 5, fn, "eps");
  need_len(env, fn, "x", x.ElementLength(), (size_t)rows * cols);
  need_len(env, fn, "gamma", g.ElementLength(), cols);
  need_len(env, fn, "beta", b.ElementLength(), cols);
  auto y = Napi::Float32Array::New(env, (size_t)rows * cols);
  auto mean = Napi::Float32Array::New(env, rows), rstd = Napi::Float32Array::New(env, rows);
  cpu::layernorm_fwd(y.Data(), mean.Data(), rstd.Data(), x.Data(), g.Data(), b.Data(), rows, cols, eps);
  Napi::Object r = Napi::Object::New(env);
  r.Set("y", y);
  r.Set("mean", mean);
  r.Set("rstd", rstd);
  return r;
}

Napi::Value LayernormBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "layernormBwd";
  need_args(info, 10, "layernormBwd(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)");
  auto dx = f32(info, 0, fn, "dx"), dg = f32(info, 1, fn, "dgamma"), db = f32(info, 2, fn, "dbeta");
  auto dy = f32(info, 3, fn, "dy"), x = f32(info, 4, fn, "x"), mean = f32(info, 5, fn, "mean");
  auto rstd = f32(info, 6, fn, "rstd"), g = f32(info, 7, fn, "gamma");
  const int rows = int_arg(info, 8, fn, "rows", 0), cols = int_arg(info, 9, fn, "cols", 1);
  const size_t n = (size_t)rows * cols;
  need_len(env, fn, "dx", dx.ElementLength(), n);
  need_len(env, fn, "dy", dy.ElementLength(), n);
  need_len(env, fn, "x", x.ElementLength(), n);
  need_len(env, fn, "dgamma", dg.ElementLength(), cols);
  need_len(env, fn, "dbeta", db.ElementLength(), cols);
  need_len(env, fn, "gamma", g.ElementLength(), cols);
  need_len(env, fn, "mean", mean.ElementLength(), rows);
  need_len(env, fn, "rstd", rstd.ElementLength(), rows);
  auto dxo = copy_of(env, dx), dgo = copy_of(env, dg), dbo = copy_of(env, db);
  cpu::layernorm_bwd(dxo.Data(), dgo.Data(), dbo.Data(), dy.Data(), x.Data(), mean.Data(),
                     rstd.Data(), g.Data(), rows, cols);
  Napi::Object r = Napi::Object::New(env);
  r.Set("dx", dxo);
  r.Set("dgamma", dgo);
  r.Set("dbeta", dbo);
  return r;
}

Napi::Value Xent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "xent";
  need_args(info, 7, "xent(logits, targets, N, V, eps, ignoreIndex, gradScale)");
  auto logits = f32(info, 0, fn, "logits");
  auto targets = i32(info, 1, fn, "targets");
  const int N = int_arg(info, 2, fn, "N", 0), V = int_arg(info, 3, fn, "V", 1);
  const float eps = float_arg(info, 4, fn, "eps");
  const int ignore = int_arg(info, 5, fn, "ignoreIndex", -2147483648.0);
  const float gs = float_arg(info, 6, fn, "gradScale");
  need_len(env, fn, "logits", logits.ElementLength(), (size_t)N * V);
  need_len(env, fn, "targets", targets.ElementLength(), N);
  for (int i = 0; i < N; ++i) {
    const int t = targets[i];
    if (t != ignore && t >= V) bad(env, "xent: targets[" + std::to_string(i) + "] = " + std::to_string(t) + " is >= V");
  }
  auto losses = Napi::Float32Array::New(env, N), tlp = Napi::Float32Array::New(env, N);
  auto dl = Napi::Float32Array::New(env, (size_t)N * V);
  cpu::xent_fwd_bwd(logits.Data(), targets.Data(), N, V, eps, ignore, gs, losses.Data(), tlp.Data(),
                    dl.Data());
  Napi::Object r = Napi::Object::New(env);
  r.Set("losses", losses);
  r.Set("targetLogprob", tlp);
  r.Set("dlogits", dl);
  return r;
}

Napi::Value LogSoftmaxRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "logSoftmaxRows";
  need_args(info, 3, "logSoftmaxRows(x, N, V)");
  auto x = f32(info, 0, fn, "x");
  const int N = int_arg(info, 1, fn, "N", 0), V = int_arg(info, 2, fn, "V", 1);
  need_len(env, fn, "x", x.ElementLength(), (size_t)N * V);
  auto out = Napi::Float32Array::New(env, (size_t)N * V);
  cpu::log_softmax_rows(out.Data(), x.Data(), N, V);
  return out;
}

void check_ids(Napi::Env env, const char* fn, const Napi::Int32Array& ids, size_t n, size_t rows) {
  for (size_t i = 0; i < n; ++i)
    if (ids[i] < 0 || (size_t)ids[i] >= rows)
      bad(env, std::string(fn) + ": ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                   " is outside the table's " + std::to_string(rows) + " rows");
}

Napi::Value EmbedFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "embedFwd";
  need_args(info, 8, "embedFwd(E, ids, N, T, pos0, d, scale, pe)");
  auto E = f32(info, 0, fn, "E");
  auto ids = i32(info, 1, fn, "ids");
  const int N = int_arg(info, 2, fn, "N", 0), T = int_arg(info, 3, fn, "T", 1);
  const int pos0 = int_arg(info, 4, fn, "pos0", 0), d = int_arg(info, 5, fn, "d", 1);
  const float scale = float_arg(info, 6, fn, "scale");
  auto pe = f32(info, 7, fn, "pe");
  need_len(env, fn, "ids", ids.ElementLength(), N);
  if (E.ElementLength() % d) bad(env, "embedFwd: E's length is not a multiple of d");
  if (N > 0 && pe.ElementLength() < (size_t)(pos0 + (N < T ? N : T)) * d)
    bad(env, "embedFwd: pe has fewer than pos0 + min(N, T) rows");
  check_ids(env, fn, ids, N, E.ElementLength() / d);
  auto out = Napi::Float32Array::New(env, (size_t)N * d);
  cpu::embed_fwd(out.Data(), E.Data(), ids.Data(), N, T, pos0, d, scale, pe.Data());
  return out;
}

Napi::Value EmbedBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "embedBwd";
  need_args(info, 6, "embedBwd(dE, dout, ids, N, d, scale)");
  auto dE = f32(info, 0, fn, "dE"), dout = f32(info, 1, fn, "dout");
  auto ids = i32(info, 2, fn, "ids");
  const int N = int_arg(info, 3, fn, "N", 0), d = int_arg(info, 4, fn, "d", 1);
  const float scale = float_arg(info, 5, fn, "scale");
  need_len(env, fn, "ids", ids.ElementLength(), N);
  need_len(env, fn, "dout", dout.ElementLength(), (size_t)N * d);
  if (dE.ElementLength() % d) bad(env, "embedBwd: dE's length is not a multiple of d");
  check_ids(env, fn, ids, N, dE.ElementLength() / d);
  auto out = copy_of(env, dE);
  cpu::embed_bwd(out.Data(), dout.Data(), ids.Data(), N, d, scale);
  return out;
}

Napi::Value SinusoidalTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "sinusoidalTable";
  need_args(info, 2, "sinusoidalTable(maxLen, d)");
  const int len = int_arg(info, 0, fn, "maxLen", 0), d = int_arg(info, 1, fn, "d", 1);
  auto pe = Napi::Float32Array::New(env, (size_t)len * d);
  cpu::sinusoidal_table(pe.Data(), len, d);
  return pe;
}

Napi::Value ActFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "actFwd(act, x)");
  const cpu::Act a = act_arg(info, 0, "actFwd");
  auto x = f32(info, 1, "actFwd", "x");
  auto y = Napi::Float32Array::New(env, x.ElementLength());
  cpu::act_fwd(a, y.Data(), x.Data(), x.ElementLength());
  return y;
}

Napi::Value ActBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 3, "actBwd(act, dy, x)");
  const cpu::Act a = act_arg(info, 0, "actBwd");
  auto dy = f32(info, 1, "actBwd", "dy"), x = f32(info, 2, "actBwd", "x");
  need_len(env, "actBwd", "x", x.ElementLength(), dy.ElementLength());
  auto dx = Napi::Float32Array::New(env, x.ElementLength());
  cpu::act_bwd(a, dx.Data(), dy.Data(), x.Data(), x.ElementLength());
  return dx;
}

Napi::Value BiasAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "biasAdd";
  need_args(info, 4, "biasAdd(y, b, rows, cols)");
  auto y = f32(info, 0, fn, "y"), b = f32(info, 1, fn, "b");
  const int rows = int_arg(info, 2, fn, "rows", 0), cols = int_arg(info, 3, fn, "cols", 1);
  need_len(env, fn, "y", y.ElementLength(), (size_t)rows * cols);
  need_len(env, fn, "b", b.ElementLength(), cols);
  auto out = copy_of(env, y);
  cpu::bias_add(out.Data(), b.Data(), rows, cols);
  return out;
}

Napi::Value BiasGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "biasGrad";
  need_args(info, 4, "biasGrad(db, dy, rows, cols)");
  auto db = f32(info, 0, fn, "db"), dy = f32(info, 1, fn, "dy");
  const int rows = int_arg(info, 2, fn, "rows", 0), cols = int_arg(info, 3, fn, "cols", 1);
  need_len(env, fn, "dy", dy.ElementLength(), (size_t)rows * cols);
  need_len(env, fn, "db", db.ElementLength(), cols);
  auto out = copy_of(env, db);
  cpu::bias_grad(out.Data(), dy.Data(), rows, cols);
  return out;
}

Napi::Value AddInplace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "addInplace(y, x)");
  auto y = f32(info, 0, "addInplace", "y"), x = f32(info, 1, "addInplace", "x");
  need_len(env, "addInplace", "x", x.ElementLength(), y.ElementLength());
  auto out = copy_of(env, y);
  cpu::add_inplace(out.Data(), x.Data(), x.ElementLength());
  return out;
}

Napi::Value ScaleInplace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "scaleInplace(x, s)");
  auto x = f32(info, 0, "scaleInplace", "x");
  const float s = float_arg(info, 1, "scaleInplace", "s");
  auto out = copy_of(env, x);
  cpu::scale_inplace(out.Data(), out.ElementLength(), s);
  return out;
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  need_args(info, 1, "sumSquares(x)");
  auto x = f32(info, 0, "sumSquares", "x");
  return Napi::Number::New(info.Env(), cpu::sum_squares(x.Data(), x.ElementLength()));
}

}  // namespace

void RegisterRowKernels(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*f)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, f, name));
  };
  add("layernormFwd", LayernormFwd);
  add("layernormBwd", LayernormBwd);
  add("xent", Xent);
  add("logSoftmaxRows", LogSoftmaxRows);
  add("embedFwd", EmbedFwd);
  add("embedBwd", EmbedBwd);
  add("sinusoidalTable", SinusoidalTable);
  add("actFwd", ActFwd);
  add("actBwd", ActBwd);
  add("biasAdd", BiasAdd);
  add("biasGrad", BiasGrad);
  add("addInplace", AddInplace);
  add("scaleInplace", ScaleInplace);
  add("sumSquares", SumSquares);
}

}  // namespace rg::napi
