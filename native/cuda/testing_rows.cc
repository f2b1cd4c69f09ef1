// Test and benchmark entry points of the rows kernel family (layernorm.cu, xent.cu,
// embedding.cu, elementwise.cu): typed arrays in, one kernel on device 0, fresh typed arrays
// out, so tests/cuda/rows.test.ts compares them with the CPU addon's functions of the same
// name without `Test` (native/src/napi/kernels_rows_napi.cc). Outputs are poisoned with NaN
// on the device first; an accumulating kernel's outputs start from the given values instead.
// Scratch buffers are poisoned too, so a kernel that relies on zeroed scratch shows.
//
//   layernormFwdTest(x, gamma, beta, rows, cols, eps) -> { y, mean, rstd }
//   layernormBwdTest(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols) -> { dx, dgamma, dbeta }
//   xentTest(logits, targets, N, V, eps, ignoreIndex, gradScale, opts?)
//       -> { losses, targetLogprob, dlogits }   opts: { inPlace?: dlogits written over the
//       logits buffer; losses?, targetLogprob?, dlogits?: false passes nullptr (result null) }
//   logSoftmaxRowsTest(x, N, V, inPlace = false) -> out
//   embedFwdTest(E, ids, N, T, pos0, d, scale, pe) -> out
//   embedBwdTest(dE, dout, ids, N, d, scale, V) -> dE
//   actFwdTest(act, x, opts?) -> y            opts: { inPlace?: y over x; misalign?: every
//   actBwdTest(act, dy, x, opts?) -> dx             buffer at a 4-byte, not 16-byte, offset }
//   biasAddTest(y, b, rows, cols) -> y;  biasGradTest(db, dy, rows, cols) -> db
//   addInplaceTest(y, x, misalign = false) -> y;  scaleInplaceTest(x, s) -> x
//   sumSquaresTest(x, misalign = false) -> number
//   rowsBench({ rows?, cols?, V?, iters?, idsPower? }) -> { layernormFwdMs, layernormBwdMs, xentMs,
//       logSoftmaxMs, embedFwdMs, embedBwdMs, geluFwdMs, geluBwdMs, biasAddMs, biasGradMs,
//       addInplaceMs, sumSquaresMs, shapes }: the median of `iters` timed runs (CUDA events)
//       after two warm-up runs, on random data generated on the GPU.
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

// elementwise.cu: random device data for the benchmark.
int rows_fill_uniform(float* x, size_t n, uint64_t seed, float lo, float hi, Stream stream);
int rows_fill_ids(int* ids, size_t n, uint64_t seed, int V, float power, Stream stream);

namespace {

using namespace testing;

// n floats on the device at a float offset (0, or 1 for a misaligned view).
class DevF {
 public:
  DevF(Napi::Env env, size_t n, int offset = 0) : buf_(env, (n + offset) * sizeof(float)), n_(n), off_(offset) {}
  float* get() const { return static_cast<float*>(buf_.get()) + off_; }
  size_t size() const { return n_; }
  void poison(Napi::Env env) const {
    check(env, "cudaMemset", cudaMemset(buf_.get(), 0xFF, (n_ + off_) * sizeof(float)));
  }
  void upload(Napi::Env env, const float* src) const {
    if (n_) check(env, "cudaMemcpy H2D", cudaMemcpy(get(), src, n_ * sizeof(float), cudaMemcpyHostToDevice));
  }
  Napi::Float32Array download(Napi::Env env) const {
    Napi::Float32Array out = Napi::Float32Array::New(env, n_);
    for (size_t i = 0; i < n_; ++i) out[i] = NAN;
    if (n_) check(env, "cudaMemcpy D2H", cudaMemcpy(out.Data(), get(), n_ * sizeof(float), cudaMemcpyDeviceToHost));
    return out;
  }

 private:
  DeviceBytes buf_;
  size_t n_;
  int off_;
};

DevF* up(Napi::Env env, std::vector<DevF*>& keep, const Napi::Float32Array& a, int off = 0) {
  DevF* d = new DevF(env, a.ElementLength(), off);
  keep.push_back(d);
  d->upload(env, a.Data());
  return d;
}

// Frees what `up` allocated when the entry point returns or throws.
struct Keep {
  std::vector<DevF*> v;
  ~Keep() {
    for (DevF* d : v) delete d;
  }
};

void need_args(const Napi::CallbackInfo& info, size_t n, const char* sig) {
  if (info.Length() < n)
    bad(info.Env(), std::string(sig) + ": expected " + std::to_string(n) + " arguments, got " +
                        std::to_string(info.Length()));
}

Napi::Int32Array i32_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    bad(info.Env(), std::string(name) + " must be an Int32Array");
  return info[i].As<Napi::Int32Array>();
}

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, double lo) {
  const double d = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(info.Env(), std::string(name) + " must be an integer >= " + std::to_string((long long)lo));
  return (int)d;
}

float float_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double d = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || std::fabs(d) > 3.4e38) bad(info.Env(), std::string(name) + " must be a finite number");
  return (float)d;
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].ToBoolean().Value();
}

bool opt_bool(const Napi::CallbackInfo& info, size_t i, const char* key, bool def) {
  if (info.Length() <= i || !info[i].IsObject()) return def;
  Napi::Value v = info[i].As<Napi::Object>().Get(key);
  return v.IsUndefined() ? def : v.ToBoolean().Value();
}

void need_len(Napi::Env env, const char* name, size_t have, size_t want) {
  if (have != want)
    bad(env, std::string(name) + " has " + std::to_string(have) + " elements, expected " + std::to_string(want));
}

cpu::Act act_arg(const Napi::CallbackInfo& info, size_t i) {
  const std::string s = info.Length() > i && info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : "";
  if (s == "relu") return cpu::Act::ReLU;
  if (s == "gelu") return cpu::Act::GELU;
  bad(info.Env(), "act must be 'relu' or 'gelu'");
}

// Int32Array -> device ints (in a DeviceBytes the caller keeps).
void upload_ints(Napi::Env env, const DeviceBytes& d, const Napi::Int32Array& a) {
  if (a.ElementLength())
    check(env, "cudaMemcpy H2D", cudaMemcpy(d.get(), a.Data(), a.ElementLength() * sizeof(int), cudaMemcpyHostToDevice));
}

void poison_bytes(Napi::Env env, const DeviceBytes& d) {
  check(env, "cudaMemset", cudaMemset(d.get(), 0xFF, d.bytes() < 16 ? 16 : d.bytes()));
}

void finish(Napi::Env env, const char* what, int launch_err) {
  check(env, (std::string(what) + " launch").c_str(), launch_err);
  check(env, what, cudaDeviceSynchronize());
}

void set_device(Napi::Env env) { check(env, "cudaSetDevice", cudaSetDevice(0)); }

Napi::Value LayernormFwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 6, "layernormFwdTest(x, gamma, beta, rows, cols, eps)");
  auto x = f32_arg(info, 0, "x"), g = f32_arg(info, 1, "gamma"), b = f32_arg(info, 2, "beta");
  const int rows = int_arg(info, 3, "rows", 0), cols = int_arg(info, 4, "cols", 1);
  const float eps = float_arg(info, 5, "eps");
  need_len(env, "x", x.ElementLength(), (size_t)rows * cols);
  need_len(env, "gamma", g.ElementLength(), cols);
  need_len(env, "beta", b.ElementLength(), cols);
  set_device(env);
  Keep k;
  DevF *dx = up(env, k.v, x), *dg = up(env, k.v, g), *db = up(env, k.v, b);
  DevF y(env, (size_t)rows * cols), mean(env, rows), rstd(env, rows);
  y.poison(env);
  mean.poison(env);
  rstd.poison(env);
  finish(env, "layernorm_fwd",
         rg::cuda::layernorm_fwd(y.get(), mean.get(), rstd.get(), dx->get(), dg->get(), db->get(), rows, cols, eps));
  Napi::Object r = Napi::Object::New(env);
  r.Set("y", y.download(env));
  r.Set("mean", mean.download(env));
  r.Set("rstd", rstd.download(env));
  return r;
}

Napi::Value LayernormBwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 10, "layernormBwdTest(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)");
  auto dx = f32_arg(info, 0, "dx"), dg = f32_arg(info, 1, "dgamma"), db = f32_arg(info, 2, "dbeta");
  auto dy = f32_arg(info, 3, "dy"), x = f32_arg(info, 4, "x"), mean = f32_arg(info, 5, "mean");
  auto rstd = f32_arg(info, 6, "rstd"), g = f32_arg(info, 7, "gamma");
  const int rows = int_arg(info, 8, "rows", 0), cols = int_arg(info, 9, "cols", 1);
  const size_t n = (size_t)rows * cols;
  need_len(env, "dx", dx.ElementLength(), n);
  need_len(env, "dy", dy.ElementLength(), n);
  need_len(env, "x", x.ElementLength(), n);
  need_len(env, "dgamma", dg.ElementLength(), cols);
  need_len(env, "dbeta", db.ElementLength(), cols);
  need_len(env, "gamma", g.ElementLength(), cols);
  need_len(env, "mean", mean.ElementLength(), rows);
  need_len(env, "rstd", rstd.ElementLength(), rows);
  set_device(env);
  Keep k;
  DevF *ddx = up(env, k.v, dx), *ddg = up(env, k.v, dg), *ddb = up(env, k.v, db);
  DevF *ddy = up(env, k.v, dy), *dxx = up(env, k.v, x), *dm = up(env, k.v, mean);
  DevF *dr = up(env, k.v, rstd), *dgam = up(env, k.v, g);
  DeviceBytes scratch(env, rg::cuda::layernorm_bwd_scratch_bytes(rows, cols));
  poison_bytes(env, scratch);
  finish(env, "layernorm_bwd",
         rg::cuda::layernorm_bwd(ddx->get(), ddg->get(), ddb->get(), ddy->get(), dxx->get(), dm->get(), dr->get(),
                       dgam->get(), rows, cols, scratch.get()));
  Napi::Object r = Napi::Object::New(env);
  r.Set("dx", ddx->download(env));
  r.Set("dgamma", ddg->download(env));
  r.Set("dbeta", ddb->download(env));
  return r;
}

Napi::Value XentTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 7, "xentTest(logits, targets, N, V, eps, ignoreIndex, gradScale, opts?)");
  auto logits = f32_arg(info, 0, "logits");
  auto targets = i32_arg(info, 1, "targets");
  const int N = int_arg(info, 2, "N", 0), V = int_arg(info, 3, "V", 1);
  const float eps = float_arg(info, 4, "eps");
  const int ignore = int_arg(info, 5, "ignoreIndex", -2147483648.0);
  const float gs = float_arg(info, 6, "gradScale");
  const bool in_place = opt_bool(info, 7, "inPlace", false);
  const bool want_l = opt_bool(info, 7, "losses", true), want_t = opt_bool(info, 7, "targetLogprob", true),
             want_d = opt_bool(info, 7, "dlogits", true);
  need_len(env, "logits", logits.ElementLength(), (size_t)N * V);
  need_len(env, "targets", targets.ElementLength(), N);
  set_device(env);
  Keep k;
  DevF* dl = up(env, k.v, logits);
  DeviceBytes dt(env, (size_t)N * sizeof(int));
  upload_ints(env, dt, targets);
  DevF losses(env, N), tlp(env, N), dlog(env, in_place ? 0 : (size_t)N * V);
  losses.poison(env);
  tlp.poison(env);
  dlog.poison(env);
  float* dout = !want_d ? nullptr : in_place ? dl->get() : dlog.get();
  finish(env, "xent_fwd_bwd",
         rg::cuda::xent_fwd_bwd(dl->get(), static_cast<const int*>(dt.get()), N, V, eps, ignore, gs,
                      want_l ? losses.get() : nullptr, want_t ? tlp.get() : nullptr, dout));
  Napi::Object r = Napi::Object::New(env);
  r.Set("losses", want_l ? losses.download(env) : env.Null());
  r.Set("targetLogprob", want_t ? tlp.download(env) : env.Null());
  r.Set("dlogits", !want_d ? env.Null() : in_place ? dl->download(env) : dlog.download(env));
  return r;
}

Napi::Value LogSoftmaxRowsTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 3, "logSoftmaxRowsTest(x, N, V, inPlace?)");
  auto x = f32_arg(info, 0, "x");
  const int N = int_arg(info, 1, "N", 0), V = int_arg(info, 2, "V", 1);
  const bool in_place = bool_arg(info, 3);
  need_len(env, "x", x.ElementLength(), (size_t)N * V);
  set_device(env);
  Keep k;
  DevF* dx = up(env, k.v, x);
  DevF out(env, in_place ? 0 : (size_t)N * V);
  out.poison(env);
  float* o = in_place ? dx->get() : out.get();
  finish(env, "log_softmax_rows", rg::cuda::log_softmax_rows(o, dx->get(), N, V));
  return in_place ? dx->download(env) : out.download(env);
}

Napi::Value EmbedFwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 8, "embedFwdTest(E, ids, N, T, pos0, d, scale, pe)");
  auto E = f32_arg(info, 0, "E");
  auto ids = i32_arg(info, 1, "ids");
  const int N = int_arg(info, 2, "N", 0), T = int_arg(info, 3, "T", 1);
  const int pos0 = int_arg(info, 4, "pos0", 0), d = int_arg(info, 5, "d", 1);
  const float scale = float_arg(info, 6, "scale");
  auto pe = f32_arg(info, 7, "pe");
  need_len(env, "ids", ids.ElementLength(), N);
  if (E.ElementLength() % d) bad(env, "E's length is not a multiple of d");
  const size_t vrows = E.ElementLength() / d;
  for (int i = 0; i < N; ++i)
    if (ids[i] < 0 || (size_t)ids[i] >= vrows) bad(env, "ids[" + std::to_string(i) + "] is outside E");
  if (N > 0 && pe.ElementLength() < (size_t)(pos0 + std::min(N, T)) * d) bad(env, "pe has fewer than pos0 + min(N, T) rows");
  set_device(env);
  Keep k;
  DevF *dE = up(env, k.v, E), *dpe = up(env, k.v, pe);
  DeviceBytes dids(env, (size_t)N * sizeof(int));
  upload_ints(env, dids, ids);
  DevF out(env, (size_t)N * d);
  out.poison(env);
  finish(env, "embed_fwd",
         rg::cuda::embed_fwd(out.get(), dE->get(), static_cast<const int*>(dids.get()), N, T, pos0, d, scale, dpe->get()));
  return out.download(env);
}

Napi::Value EmbedBwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 7, "embedBwdTest(dE, dout, ids, N, d, scale, V)");
  auto dE = f32_arg(info, 0, "dE"), dout = f32_arg(info, 1, "dout");
  auto ids = i32_arg(info, 2, "ids");
  const int N = int_arg(info, 3, "N", 0), d = int_arg(info, 4, "d", 1);
  const float scale = float_arg(info, 5, "scale");
  const int V = int_arg(info, 6, "V", 1);
  need_len(env, "ids", ids.ElementLength(), N);
  need_len(env, "dout", dout.ElementLength(), (size_t)N * d);
  need_len(env, "dE", dE.ElementLength(), (size_t)V * d);
  for (int i = 0; i < N; ++i)
    if (ids[i] < 0 || ids[i] >= V) bad(env, "ids[" + std::to_string(i) + "] is outside [0, V)");
  set_device(env);
  Keep k;
  DevF *ddE = up(env, k.v, dE), *ddout = up(env, k.v, dout);
  DeviceBytes dids(env, (size_t)N * sizeof(int));
  upload_ints(env, dids, ids);
  DeviceBytes scratch(env, rg::cuda::embed_bwd_scratch_bytes(N, V));
  poison_bytes(env, scratch);
  finish(env, "embed_bwd",
         rg::cuda::embed_bwd(ddE->get(), ddout->get(), static_cast<const int*>(dids.get()), N, d, V, scale, scratch.get()));
  return ddE->download(env);
}

Napi::Value ActFwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "actFwdTest(act, x, opts?)");
  const cpu::Act a = act_arg(info, 0);
  auto x = f32_arg(info, 1, "x");
  const bool in_place = opt_bool(info, 2, "inPlace", false);
  const int off = opt_bool(info, 2, "misalign", false) ? 1 : 0;
  const size_t n = x.ElementLength();
  set_device(env);
  Keep k;
  DevF* dx = up(env, k.v, x, off);
  DevF y(env, in_place ? 0 : n, off);
  y.poison(env);
  finish(env, "act_fwd", rg::cuda::act_fwd(a, in_place ? dx->get() : y.get(), dx->get(), n));
  return in_place ? dx->download(env) : y.download(env);
}

Napi::Value ActBwdTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 3, "actBwdTest(act, dy, x, opts?)");
  const cpu::Act a = act_arg(info, 0);
  auto dy = f32_arg(info, 1, "dy"), x = f32_arg(info, 2, "x");
  const bool in_place = opt_bool(info, 3, "inPlace", false);
  const int off = opt_bool(info, 3, "misalign", false) ? 1 : 0;
  const size_t n = x.ElementLength();
  need_len(env, "dy", dy.ElementLength(), n);
  set_device(env);
  Keep k;
  DevF *ddy = up(env, k.v, dy, off), *dx = up(env, k.v, x, off);
  DevF out(env, in_place ? 0 : n, off);
  out.poison(env);
  finish(env, "act_bwd", rg::cuda::act_bwd(a, in_place ? ddy->get() : out.get(), ddy->get(), dx->get(), n));
  return in_place ? ddy->download(env) : out.download(env);
}

Napi::Value BiasAddTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 4, "biasAddTest(y, b, rows, cols)");
  auto y = f32_arg(info, 0, "y"), b = f32_arg(info, 1, "b");
  const int rows = int_arg(info, 2, "rows", 0), cols = int_arg(info, 3, "cols", 1);
  need_len(env, "y", y.ElementLength(), (size_t)rows * cols);
  need_len(env, "b", b.ElementLength(), cols);
  set_device(env);
  Keep k;
  DevF *dy = up(env, k.v, y), *db = up(env, k.v, b);
  finish(env, "bias_add", rg::cuda::bias_add(dy->get(), db->get(), rows, cols));
  return dy->download(env);
}

Napi::Value BiasGradTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 4, "biasGradTest(db, dy, rows, cols)");
  auto db = f32_arg(info, 0, "db"), dy = f32_arg(info, 1, "dy");
  const int rows = int_arg(info, 2, "rows", 0), cols = int_arg(info, 3, "cols", 1);
  need_len(env, "dy", dy.ElementLength(), (size_t)rows * cols);
  need_len(env, "db", db.ElementLength(), cols);
  set_device(env);
  Keep k;
  DevF *ddb = up(env, k.v, db), *ddy = up(env, k.v, dy);
  DeviceBytes scratch(env, rg::cuda::bias_grad_scratch_bytes(rows, cols));
  poison_bytes(env, scratch);
  finish(env, "bias_grad", rg::cuda::bias_grad(ddb->get(), ddy->get(), rows, cols, scratch.get()));
  return ddb->download(env);
}

Napi::Value AddInplaceTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "addInplaceTest(y, x, misalign?)");
  auto y = f32_arg(info, 0, "y"), x = f32_arg(info, 1, "x");
  need_len(env, "x", x.ElementLength(), y.ElementLength());
  const int off = bool_arg(info, 2) ? 1 : 0;
  set_device(env);
  Keep k;
  DevF *dy = up(env, k.v, y, off), *dx = up(env, k.v, x, off);
  finish(env, "add_inplace", rg::cuda::add_inplace(dy->get(), dx->get(), y.ElementLength()));
  return dy->download(env);
}

Napi::Value ScaleInplaceTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 2, "scaleInplaceTest(x, s)");
  auto x = f32_arg(info, 0, "x");
  const float s = float_arg(info, 1, "s");
  set_device(env);
  Keep k;
  DevF* dx = up(env, k.v, x);
  finish(env, "scale_inplace", rg::cuda::scale_inplace(dx->get(), x.ElementLength(), s));
  return dx->download(env);
}

Napi::Value SumSquaresTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_args(info, 1, "sumSquaresTest(x, misalign?)");
  auto x = f32_arg(info, 0, "x");
  const int off = bool_arg(info, 1) ? 1 : 0;
  set_device(env);
  Keep k;
  DevF* dx = up(env, k.v, x, off);
  DeviceBytes scratch(env, rg::cuda::sum_squares_scratch_bytes(x.ElementLength()));
  poison_bytes(env, scratch);
  DeviceBytes res(env, sizeof(double));
  poison_bytes(env, res);
  finish(env, "sum_squares", rg::cuda::sum_squares(dx->get(), x.ElementLength(), static_cast<double*>(res.get()), scratch.get()));
  double h = NAN;
  check(env, "cudaMemcpy D2H", cudaMemcpy(&h, res.get(), sizeof(double), cudaMemcpyDeviceToHost));
  return Napi::Number::New(env, h);
}

// ---- benchmark ------------------------------------------------------------------------

class Events {
 public:
  explicit Events(Napi::Env env) {
    check(env, "cudaEventCreate", cudaEventCreate(&a_));
    check(env, "cudaEventCreate", cudaEventCreate(&b_));
  }
  ~Events() {
    cudaEventDestroy(a_);
    cudaEventDestroy(b_);
  }
  cudaEvent_t a_ = nullptr, b_ = nullptr;
};

// Median milliseconds of `iters` runs of f (which returns a launch error), after two warm-ups.
template <class F>
double median_ms(Napi::Env env, const char* what, int iters, F f) {
  Events ev(env);
  for (int w = 0; w < 2; ++w) check(env, what, f());
  check(env, what, cudaDeviceSynchronize());
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    check(env, "cudaEventRecord", cudaEventRecord(ev.a_));
    check(env, what, f());
    check(env, "cudaEventRecord", cudaEventRecord(ev.b_));
    check(env, what, cudaEventSynchronize(ev.b_));
    float ms = 0;
    check(env, "cudaEventElapsedTime", cudaEventElapsedTime(&ms, ev.a_, ev.b_));
    t.push_back(ms);
  }
  std::sort(t.begin(), t.end());
  return t.empty() ? NAN : t[t.size() / 2];
}

int opt_int(Napi::Env env, Napi::Object o, const char* key, int def, int lo) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(env, std::string(key) + " must be an integer >= " + std::to_string(lo));
  return (int)d;
}

Napi::Value RowsBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
  const int rows = opt_int(env, o, "rows", 16384, 1), cols = opt_int(env, o, "cols", 512, 1);
  const int V = opt_int(env, o, "V", 16000, 1), iters = opt_int(env, o, "iters", 20, 1);
  Napi::Value pv = o.Get("idsPower");  // embedding ids V u^idsPower: 1 uniform, 3 skewed (default)
  const float ids_power = pv.IsNumber() ? pv.As<Napi::Number>().FloatValue() : 3.0f;
  if (!(ids_power > 0.0f && ids_power < 100.0f)) bad(env, "idsPower must be in (0, 100)");
  const size_t n = (size_t)rows * cols, nl = (size_t)rows * V, nh = 4 * n;  // nh: FFN hidden
  set_device(env);
  DevF x(env, n), y(env, n), dy(env, n), dx(env, n), gam(env, cols), bet(env, cols), dgam(env, cols),
      dbet(env, cols), mean(env, rows), rstd(env, rows), logits(env, nl), losses(env, rows),
      h(env, nh), dh(env, nh), hout(env, nh), E(env, (size_t)V * cols), dE(env, (size_t)V * cols),
      pe(env, n);
  DeviceBytes targets(env, (size_t)rows * sizeof(int)), ids(env, (size_t)rows * sizeof(int));
  DeviceBytes ln_scratch(env, rg::cuda::layernorm_bwd_scratch_bytes(rows, cols));
  DeviceBytes eb_scratch(env, rg::cuda::embed_bwd_scratch_bytes(rows, V));
  DeviceBytes bg_scratch(env, rg::cuda::bias_grad_scratch_bytes(rows, 4 * cols));
  DeviceBytes ss_scratch(env, rg::cuda::sum_squares_scratch_bytes(nh));
  DeviceBytes ss_res(env, sizeof(double));
  uint64_t seed = 1;
  auto fill = [&](const DevF& d, float lo, float hi) {
    check(env, "fill", rows_fill_uniform(d.get(), d.size(), seed++, lo, hi, nullptr));
  };
  fill(x, -2, 2);
  fill(dy, -1, 1);
  fill(gam, 0.5f, 1.5f);
  fill(bet, -0.5f, 0.5f);
  fill(logits, -4, 4);
  fill(h, -3, 3);
  fill(dh, -1, 1);
  fill(E, -0.1f, 0.1f);
  fill(pe, -1, 1);
  check(env, "fill", cudaMemset(dx.get(), 0, n * sizeof(float)));
  check(env, "fill", cudaMemset(dE.get(), 0, (size_t)V * cols * sizeof(float)));
  check(env, "fill", cudaMemset(dgam.get(), 0, cols * sizeof(float)));
  check(env, "fill", cudaMemset(dbet.get(), 0, cols * sizeof(float)));
  check(env, "fill", rows_fill_ids(static_cast<int*>(targets.get()), rows, seed++, V, 1.0f, nullptr));
  check(env, "fill", rows_fill_ids(static_cast<int*>(ids.get()), rows, seed++, V, ids_power, nullptr));
  check(env, "fill", cudaDeviceSynchronize());
  const int* tg = static_cast<const int*>(targets.get());
  const int* id = static_cast<const int*>(ids.get());
  const int T = std::min(rows, 128);
  const float scale = std::sqrt((float)cols);

  Napi::Object r = Napi::Object::New(env);
  r.Set("layernormFwdMs", median_ms(env, "layernorm_fwd", iters, [&] {
          return rg::cuda::layernorm_fwd(y.get(), mean.get(), rstd.get(), x.get(), gam.get(), bet.get(), rows, cols, 1e-5f);
        }));
  r.Set("layernormBwdMs", median_ms(env, "layernorm_bwd", iters, [&] {
          return rg::cuda::layernorm_bwd(dx.get(), dgam.get(), dbet.get(), dy.get(), x.get(), mean.get(), rstd.get(),
                               gam.get(), rows, cols, ln_scratch.get());
        }));
  // In place, as training does (the logits are overwritten by their gradient: from the second
  // run on the kernel reads gradients, the same amount of work).
  r.Set("xentMs", median_ms(env, "xent_fwd_bwd", iters, [&] {
          return rg::cuda::xent_fwd_bwd(logits.get(), tg, rows, V, 0.1f, -1, 1.0f / rows, losses.get(), nullptr, logits.get());
        }));
  r.Set("logSoftmaxMs", median_ms(env, "log_softmax_rows", iters, [&] {
          return rg::cuda::log_softmax_rows(logits.get(), logits.get(), rows, V);
        }));
  r.Set("embedFwdMs", median_ms(env, "embed_fwd", iters, [&] {
          return rg::cuda::embed_fwd(y.get(), E.get(), id, rows, T, 0, cols, scale, pe.get());
        }));
  r.Set("embedBwdMs", median_ms(env, "embed_bwd", iters, [&] {
          return rg::cuda::embed_bwd(dE.get(), dy.get(), id, rows, cols, V, scale, eb_scratch.get());
        }));
  r.Set("geluFwdMs", median_ms(env, "act_fwd", iters, [&] { return rg::cuda::act_fwd(cpu::Act::GELU, hout.get(), h.get(), nh); }));
  r.Set("geluBwdMs", median_ms(env, "act_bwd", iters, [&] {
          return rg::cuda::act_bwd(cpu::Act::GELU, hout.get(), dh.get(), h.get(), nh);
        }));
  r.Set("biasAddMs", median_ms(env, "bias_add", iters, [&] { return rg::cuda::bias_add(h.get(), gam.get(), rows * 4, cols); }));
  r.Set("biasGradMs", median_ms(env, "bias_grad", iters, [&] {
          return rg::cuda::bias_grad(dgam.get(), dh.get(), rows, 4 * cols, bg_scratch.get());
        }));
  r.Set("addInplaceMs", median_ms(env, "add_inplace", iters, [&] { return rg::cuda::add_inplace(y.get(), x.get(), n); }));
  r.Set("sumSquaresMs", median_ms(env, "sum_squares", iters, [&] {
          return rg::cuda::sum_squares(h.get(), nh, static_cast<double*>(ss_res.get()), ss_scratch.get());
        }));
  Napi::Object shapes = Napi::Object::New(env);
  shapes.Set("rows", rows);
  shapes.Set("cols", cols);
  shapes.Set("V", V);
  shapes.Set("iters", iters);
  shapes.Set("idsPower", ids_power);
  shapes.Set("note", "layernorm rows x cols; xent/logSoftmax rows x V (in place); embed N = rows, d = cols, "
                     "ids V u^idsPower (3: skewed); gelu, biasGrad, sumSquares over rows x 4cols; biasAdd over 4rows x cols");
  r.Set("shapes", shapes);
  return r;
}

}  // namespace

void RegisterRowsTesting(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*f)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, f, name));
  };
  add("layernormFwdTest", LayernormFwdTest);
  add("layernormBwdTest", LayernormBwdTest);
  add("xentTest", XentTest);
  add("logSoftmaxRowsTest", LogSoftmaxRowsTest);
  add("embedFwdTest", EmbedFwdTest);
  add("embedBwdTest", EmbedBwdTest);
  add("actFwdTest", ActFwdTest);
  add("actBwdTest", ActBwdTest);
  add("biasAddTest", BiasAddTest);
  add("biasGradTest", BiasGradTest);
  add("addInplaceTest", AddInplaceTest);
  add("scaleInplaceTest", ScaleInplaceTest);
  add("sumSquaresTest", SumSquaresTest);
  add("rowsBench", RowsBench);
}

}  // namespace rg::cuda
