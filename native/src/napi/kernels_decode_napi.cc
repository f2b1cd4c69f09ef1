// Decoding's row ops (the Backend's "decoding" block) over typed arrays, run through a
// backend made for one device: the CPU addon registers them on "cpu" (copyRows, ...), the
// CUDA module also on "cuda:fp32" with the suffix Test (native/cuda/testing_decode.cc), so
// tests/cuda/decode.test.ts compares the two implementations of the seam itself. Inputs
// are never modified; pitches and row lengths count floats (the seam takes bytes).
//
//   copyRows(dst, dstPitch, src, srcPitch, rowLen, rows) -> dst with the rows copied
//   gatherRows(dst, dstPitch, src | null, srcPitch, rowLen, idx: Int32Array, rows) -> dst
//       with dst row r = src row idx[r]; src null: in place on (a copy of) dst
//   topkRows(x, R, V, k) -> { vals: Float32Array, idx: Int32Array }  ([R, k] each; the
//       outputs are poisoned with NaN / -1 first, so an unwritten element shows)
//   sampleRows(lp, R, V, { temperature, topK, topP, fallback, excluded: number[] }, u)
//       -> { tokens: Int32Array, lp: Float32Array }  ([R] each, poisoned as topkRows';
//       u: Float32Array [R], one uniform per row, < 0 for no draw)
// Bad arguments throw an Error with code EINVAL.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "backend.h"
#include "napi/guard.h"
#include "napi/register.h"

namespace rg::napi {
namespace {

[[noreturn]] void bad(Napi::Env env, const std::string& msg) { throw MakeError(env, "EINVAL", msg); }

struct Fn {
  std::string name, device;
};

Napi::Float32Array f32(const Napi::CallbackInfo& info, size_t i, const Fn& fn, const char* what) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    bad(info.Env(), fn.name + ": " + what + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

int int_arg(const Napi::CallbackInfo& info, size_t i, const Fn& fn, const char* what, double lo) {
  const Napi::Value v = info[i];
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= 2147483647.0) || std::floor(d) != d)
    bad(info.Env(), fn.name + ": " + what + " must be an integer >= " + std::to_string((long long)lo));
  return (int)d;
}

// Floats a buffer of `rows` rows of rowLen, pitch apart, spans (0 when rows == 0).
size_t span(int rows, int pitch, int row_len) { return rows ? (size_t)(rows - 1) * pitch + row_len : 0; }

// A backend buffer that frees itself (the seam's alloc/release).
struct Buf {
  Backend& be;
  void* p;
  Buf(Backend& b, size_t bytes) : be(b), p(b.alloc(bytes)) {}
  ~Buf() { be.release(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};

Napi::Value CopyRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Fn& fn = *static_cast<Fn*>(info.Data());
  if (info.Length() < 6) bad(env, fn.name + "(dst, dstPitch, src, srcPitch, rowLen, rows): expected 6 arguments");
  auto dst = f32(info, 0, fn, "dst"), src = f32(info, 2, fn, "src");
  const int dp = int_arg(info, 1, fn, "dstPitch", 0), sp = int_arg(info, 3, fn, "srcPitch", 0);
  const int len = int_arg(info, 4, fn, "rowLen", 0), rows = int_arg(info, 5, fn, "rows", 0);
  if (rows > 1 && (len > dp || len > sp)) bad(env, fn.name + ": rowLen must not exceed the pitches");
  if (span(rows, dp, len) > dst.ElementLength() || span(rows, sp, len) > src.ElementLength())
    bad(env, fn.name + ": rows do not fit the arrays");
  return Guard(env, [&]() -> Napi::Value {
    auto be = make_backend(fn.device);
    const size_t nd = dst.ElementLength() * sizeof(float), ns = src.ElementLength() * sizeof(float);
    Buf d(*be, nd), s(*be, ns);
    be->upload(d.p, dst.Data(), nd);
    be->upload(s.p, src.Data(), ns);
    be->copy_rows(d.p, (size_t)dp * 4, s.p, (size_t)sp * 4, (size_t)len * 4, rows);
    Napi::Float32Array out = Napi::Float32Array::New(env, dst.ElementLength());
    be->download(out.Data(), d.p, nd);
    return out;
  });
}

Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Fn& fn = *static_cast<Fn*>(info.Data());
  if (info.Length() < 7)
    bad(env, fn.name + "(dst, dstPitch, src | null, srcPitch, rowLen, idx, rows): expected 7 arguments");
  auto dst = f32(info, 0, fn, "dst");
  const bool in_place = info[2].IsNull();
  Napi::Float32Array src = in_place ? dst : f32(info, 2, fn, "src");
  const int dp = int_arg(info, 1, fn, "dstPitch", 0), sp = int_arg(info, 3, fn, "srcPitch", 0);
  const int len = int_arg(info, 4, fn, "rowLen", 0), rows = int_arg(info, 6, fn, "rows", 0);
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    bad(env, fn.name + ": idx must be an Int32Array");
  auto idx = info[5].As<Napi::Int32Array>();
  if (idx.ElementLength() < (size_t)rows) bad(env, fn.name + ": idx has fewer than rows elements");
  if (in_place && dp != sp) bad(env, fn.name + ": in place needs srcPitch == dstPitch");
  if (len > dp || len > sp) bad(env, fn.name + ": rowLen must not exceed the pitches");
  if (span(rows, dp, len) > dst.ElementLength()) bad(env, fn.name + ": rows do not fit dst");
  for (int r = 0; r < rows; ++r)
    if (idx[r] < 0 || span(idx[r] + 1, sp, len) > src.ElementLength())
      bad(env, fn.name + ": idx[" + std::to_string(r) + "] is not a row of src");
  return Guard(env, [&]() -> Napi::Value {
    auto be = make_backend(fn.device);
    const size_t nd = dst.ElementLength() * sizeof(float), ns = src.ElementLength() * sizeof(float);
    Buf d(*be, nd), s(*be, in_place ? 0 : ns), ix(*be, (size_t)rows * sizeof(int));
    be->upload(d.p, dst.Data(), nd);
    if (!in_place) be->upload(s.p, src.Data(), ns);
    be->upload(ix.p, idx.Data(), (size_t)rows * sizeof(int));
    be->gather_rows(d.p, (size_t)dp * 4, in_place ? d.p : s.p, (size_t)sp * 4, (size_t)len * 4,
                    static_cast<const int*>(ix.p), rows);
    Napi::Float32Array out = Napi::Float32Array::New(env, dst.ElementLength());
    be->download(out.Data(), d.p, nd);
    return out;
  });
}

// Poisons an op's two result arrays (n floats, n ids) before it runs: NaN and -1, so an
// element the op leaves unwritten shows in the result.
void poison(Backend& be, void* floats, void* ids, size_t n) {
  const std::vector<float> nan(n, std::numeric_limits<float>::quiet_NaN());
  const std::vector<int> neg(n, -1);
  be.upload(floats, nan.data(), n * sizeof(float));
  be.upload(ids, neg.data(), n * sizeof(int));
}

Napi::Value TopkRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Fn& fn = *static_cast<Fn*>(info.Data());
  if (info.Length() < 4) bad(env, fn.name + "(x, R, V, k): expected 4 arguments");
  auto x = f32(info, 0, fn, "x");
  const int R = int_arg(info, 1, fn, "R", 0), V = int_arg(info, 2, fn, "V", 1), k = int_arg(info, 3, fn, "k", 1);
  if (x.ElementLength() != (size_t)R * V) bad(env, fn.name + ": x must have R * V elements");
  return Guard(env, [&]() -> Napi::Value {
    auto be = make_backend(fn.device);
    const size_t n = (size_t)R * k;
    Buf dx(*be, x.ElementLength() * sizeof(float)), dv(*be, n * sizeof(float)), di(*be, n * sizeof(int));
    be->upload(dx.p, x.Data(), x.ElementLength() * sizeof(float));
    poison(*be, dv.p, di.p, n);
    be->topk_rows(static_cast<const float*>(dx.p), R, V, k, static_cast<float*>(dv.p), static_cast<int*>(di.p));
    Napi::Float32Array vals = Napi::Float32Array::New(env, n);
    Napi::Int32Array ids = Napi::Int32Array::New(env, n);
    be->download(vals.Data(), dv.p, n * sizeof(float));
    be->download(ids.Data(), di.p, n * sizeof(int));
    Napi::Object o = Napi::Object::New(env);
    o.Set("vals", vals);
    o.Set("idx", ids);
    return o;
  });
}

// A number option of sampleRows' params (required: the test names every field).
double num_opt(const Napi::Object& o, const char* key, const Fn& fn) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) bad(o.Env(), fn.name + ": params." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int int_opt(const Napi::Object& o, const char* key, const Fn& fn) {
  const double d = num_opt(o, key, fn);
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || std::floor(d) != d)
    bad(o.Env(), fn.name + ": params." + key + " must be an integer");
  return (int)d;
}

Napi::Value SampleRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Fn& fn = *static_cast<Fn*>(info.Data());
  if (info.Length() < 5) bad(env, fn.name + "(lp, R, V, params, u): expected 5 arguments");
  auto lp = f32(info, 0, fn, "lp");
  const int R = int_arg(info, 1, fn, "R", 0), V = int_arg(info, 2, fn, "V", 1);
  if (lp.ElementLength() != (size_t)R * V) bad(env, fn.name + ": lp must have R * V elements");
  if (!info[3].IsObject()) bad(env, fn.name + ": params must be an object");
  const Napi::Object o = info[3].As<Napi::Object>();
  Backend::SampleParams sp;
  sp.temperature = (float)num_opt(o, "temperature", fn);
  sp.top_k = int_opt(o, "topK", fn);
  sp.top_p = (float)num_opt(o, "topP", fn);
  sp.fallback = int_opt(o, "fallback", fn);
  const Napi::Value ex = o.Get("excluded");
  if (!ex.IsArray()) bad(env, fn.name + ": params.excluded must be an array of token ids");
  const Napi::Array exa = ex.As<Napi::Array>();
  if (exa.Length() > (uint32_t)Backend::SampleParams::kMaxExcluded)
    bad(env, fn.name + ": params.excluded holds at most " + std::to_string(Backend::SampleParams::kMaxExcluded) + " ids");
  sp.n_excluded = (int)exa.Length();
  for (uint32_t j = 0; j < exa.Length(); ++j) {
    const Napi::Value e = exa.Get(j);
    const double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= 0 && d <= 2147483647.0) || std::floor(d) != d) bad(env, fn.name + ": params.excluded must hold token ids");
    sp.excluded[j] = (int)d;
  }
  auto u = f32(info, 4, fn, "u");
  if (u.ElementLength() != (size_t)R) bad(env, fn.name + ": u must have R elements");
  return Guard(env, [&]() -> Napi::Value {
    auto be = make_backend(fn.device);
    const size_t n = (size_t)R;
    Buf dx(*be, lp.ElementLength() * sizeof(float)), du(*be, n * sizeof(float)), dt(*be, n * sizeof(int)),
        dl(*be, n * sizeof(float));
    be->upload(dx.p, lp.Data(), lp.ElementLength() * sizeof(float));
    be->upload(du.p, u.Data(), n * sizeof(float));
    poison(*be, dl.p, dt.p, n);
    be->sample_rows(static_cast<const float*>(dx.p), R, V, sp, static_cast<const float*>(du.p),
                    static_cast<int*>(dt.p), static_cast<float*>(dl.p));
    Napi::Int32Array tokens = Napi::Int32Array::New(env, n);
    Napi::Float32Array tlp = Napi::Float32Array::New(env, n);
    be->download(tokens.Data(), dt.p, n * sizeof(int));
    be->download(tlp.Data(), dl.p, n * sizeof(float));
    Napi::Object out = Napi::Object::New(env);
    out.Set("tokens", tokens);
    out.Set("lp", tlp);
    return out;
  });
}

}  // namespace

void RegisterDecodeKernels(Napi::Env env, Napi::Object exports, const char* device, const char* suffix) {
  auto add = [&](const char* base, Napi::Value (*f)(const Napi::CallbackInfo&)) {
    // Lives as long as the module: one small allocation per registration.
    Fn* fn = new Fn{std::string(base) + suffix, device};
    exports.Set(fn->name, Napi::Function::New(env, f, fn->name, fn));
  };
  add("copyRows", CopyRows);
  add("gatherRows", GatherRows);
  add("topkRows", TopkRows);
  add("sampleRows", SampleRows);
}

}  // namespace rg::napi
