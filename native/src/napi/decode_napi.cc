// Model.decode and Model.score: batched search and forced decoding, off the main thread.
#include <cmath>

#include "model/search.h"
#include "napi/async.h"
#include "napi/convert.h"
#include "napi/model_wrap.h"

namespace rg::napi {

Napi::Value ModelWrap::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = std::make_shared<std::vector<int>>(GetInt32Array(env, info.Length() ? info[0] : env.Undefined(), "src"));
  auto off = std::make_shared<std::vector<int>>(GetInt32Array(env, info.Length() > 1 ? info[1] : env.Undefined(), "srcOffsets"));
  Napi::Object o = GetObject(env, info.Length() > 2 ? info[2] : env.Undefined(), "options");
  const std::string w = "options";
  SearchOptions s;
  std::string method = GetStringField(env, o, "method", "greedy", w);
  if (method == "greedy") s.method = SearchOptions::Greedy;
  else if (method == "beam") s.method = SearchOptions::Beam;
  else if (method == "sample") s.method = SearchOptions::Sample;
  else ThrowInvalid(env, "options.method must be 'greedy', 'beam' or 'sample'");
  namespace R = ranges;
  s.beam_size = (int)GetNumber(env, o, R::kBeamSize, s.beam_size, w);
  s.length_penalty = (float)GetNumber(env, o, R::kLengthPenalty, s.length_penalty, w);
  s.temperature = (float)GetNumber(env, o, R::kTemperature, s.temperature, w);
  s.top_k = (int)GetNumber(env, o, R::kTopK, s.top_k, w);
  s.top_p = (float)GetNumber(env, o, R::kTopP, s.top_p, w);
  s.max_len_a = (float)GetNumber(env, o, R::kMaxLenA, s.max_len_a, w);
  s.max_len_b = (int)GetNumber(env, o, R::kMaxLenB, s.max_len_b, w);
  s.seed = (uint64_t)GetNumber(env, o, R::kDecodeSeed, 0, w);
  s.batch_size = (int)GetNumber(env, o, R::kBatchSize, s.batch_size, w);
  Transformer& m = model(env);
  Guard(env, [&] {
    validate_sources(*src, *off, m.config(), "decode");
    validate(s, m.config());
    return 0;
  });
  begin_job(env);
  auto model = model_;
  auto res = std::make_shared<SearchResult>();
  std::atomic<bool>* cancel = &cancel_;
  auto* self = new Napi::Reference<Napi::Object>(Napi::Persistent(Value()));
  return AsyncJob::start(
      env, Napi::Function(), "regurgitate.decode",
      [model, src, off, s, res, cancel](AsyncJob&) {
        *res = search(*model, src->data(), off->data(), (int)off->size() - 1, s, [cancel] { return cancel->load(); });
      },
      [res, cancel](Napi::Env env) -> Napi::Value {
        // A cancel() issued while the promise was pending wins even if the worker had
        // just finished: the caller asked for no result, and this makes cancel deterministic.
        if (cancel->load()) throw MakeError(env, "ECANCELED", "decoding cancelled");
        Napi::Object out = Napi::Object::New(env);
        Napi::Int32Array ids = Napi::Int32Array::New(env, res->ids.size());
        std::copy(res->ids.begin(), res->ids.end(), ids.Data());
        Napi::Int32Array offs = Napi::Int32Array::New(env, res->offsets.size());
        std::copy(res->offsets.begin(), res->offsets.end(), offs.Data());
        Napi::Float64Array lp = Napi::Float64Array::New(env, res->logprobs.size());
        std::copy(res->logprobs.begin(), res->logprobs.end(), lp.Data());
        out.Set("ids", ids);
        out.Set("offsets", offs);
        out.Set("logprobs", lp);
        return out;
      },
      [this, self] {
        end_job();
        self->Reset();
        delete self;
      });
}

Napi::Value ModelWrap::Score(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = std::make_shared<Pairs>(GetPairs(env, info.Length() ? info[0] : env.Undefined(), "data"));
  int batch = 64;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    const OptionRange& r = ranges::kScoreBatchSize;
    const double b = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : NAN;
    if (!r.contains(b)) ThrowInvalid(env, "batchSize must be " + r.describe());
    batch = (int)b;
  }
  Transformer& m = model(env);
  Guard(env, [&] {
    validate_pairs(*p, m.config(), "data");
    return 0;
  });
  begin_job(env);
  auto model = model_;
  auto res = std::make_shared<std::vector<double>>();
  std::atomic<bool>* cancel = &cancel_;
  auto* self = new Napi::Reference<Napi::Object>(Napi::Persistent(Value()));
  return AsyncJob::start(
      env, Napi::Function(), "regurgitate.score",
      [model, p, batch, res, cancel](AsyncJob&) {
        *res = score_pairs(*model, p->src.data(), p->src_off.data(), p->tgt.data(), p->tgt_off.data(), p->size(),
                           batch, [cancel] { return cancel->load(); });
      },
      [res, cancel](Napi::Env env) -> Napi::Value {
        if (cancel->load()) throw MakeError(env, "ECANCELED", "scoring cancelled");  // see decode
        Napi::Float64Array out = Napi::Float64Array::New(env, res->size());
        std::copy(res->begin(), res->end(), out.Data());
        return out;
      },
      [this, self] {
        end_job();
        self->Reset();
        delete self;
      });
}

}  // namespace rg::napi
