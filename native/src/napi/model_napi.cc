// The model, trainer and decoder classes (conversion and threading only; no math).
#include <cmath>
#include <cstring>

#include "common/json.h"
#include "model/model_io.h"
#include "model/pass_graphs.h"
#include "napi/async.h"
#include "napi/convert.h"
#include "napi/model_wrap.h"
#include "napi/register.h"
#include "train/trainer.h"

namespace rg::napi {

Napi::FunctionReference* ModelWrap::constructor = nullptr;

Napi::Function ModelWrap::Define(Napi::Env env) {
  Napi::Function f = DefineClass(env, "Model", {
      StaticMethod("load", &ModelWrap::Load),
      InstanceAccessor("config", &ModelWrap::Config, nullptr),
      InstanceMethod("numParams", &ModelWrap::NumParams),
      InstanceMethod("graphStats", &ModelWrap::GraphStats),
      InstanceMethod("paramInfo", &ModelWrap::ParamInfo),
      InstanceMethod("getParams", &ModelWrap::GetParams),
      InstanceMethod("setParams", &ModelWrap::SetParams),
      InstanceMethod("lossAndGrads", &ModelWrap::LossAndGrads),
      InstanceMethod("train", &ModelWrap::Train),
      InstanceMethod("cancel", &ModelWrap::Cancel),
      InstanceMethod("decode", &ModelWrap::Decode),
      InstanceMethod("score", &ModelWrap::Score),
      InstanceMethod("save", &ModelWrap::Save),
  });
  constructor = new Napi::FunctionReference(Napi::Persistent(f));
  return f;
}

namespace {
// The optional device argument ("cpu" when absent): see make_backend in backend.h.
std::string device_arg(Napi::Env env, const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return "cpu";
  if (!info[i].IsString()) ThrowInvalid(env, "device must be a string ('cpu', 'cuda', 'cuda:tf32', 'cuda:fp32')");
  return info[i].As<Napi::String>().Utf8Value();
}
}  // namespace

// new Model(configJson, seed, device = 'cpu') or, internally, new Model(External<shared_ptr<Transformer>>).
ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() == 1 && info[0].IsExternal()) {
    model_ = *info[0].As<Napi::External<std::shared_ptr<Transformer>>>().Data();
    return;
  }
  if (info.Length() < 2) ThrowInvalid(env, "new Model(configJson, seed): two arguments expected");
  std::string text = GetString(env, info[0], "configJson");
  if (!info[1].IsNumber()) ThrowInvalid(env, "seed must be a number");
  double seed = info[1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(seed) || seed < 0 || seed != std::floor(seed) || seed > 9007199254740991.0)
    ThrowInvalid(env, "seed must be a non-negative integer");
  const std::string device = device_arg(env, info, 2);
  model_ = Guard(env, [&] {
    ModelConfig cfg = ModelConfig::from_json(Json::parse(text, "configJson"), "model config");
    auto m = std::make_shared<Transformer>(cfg, make_backend(device));
    m->init_params((uint64_t)seed);
    return m;
  });
}

Transformer& ModelWrap::model(Napi::Env env) {
  if (busy_.load()) throw MakeError(env, "EBUSY", "the model is busy (training or decoding); await it first");
  return *model_;
}

void ModelWrap::begin_job(Napi::Env env) {
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true))
    throw MakeError(env, "EBUSY", "the model is busy (training or decoding); await it first");
  cancel_.store(false);
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = GetPath(env, info.Length() ? info[0] : env.Undefined(), "Model.load(dir): dir");
  const std::string device = device_arg(env, info, 1);
  auto m = Guard(env, [&] { return std::shared_ptr<Transformer>(load_model(dir, make_backend(device))); });
  auto* holder = new std::shared_ptr<Transformer>(std::move(m));
  Napi::External<std::shared_ptr<Transformer>> ext = Napi::External<std::shared_ptr<Transformer>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<Transformer>* p) { delete p; });
  return constructor->New({ext});
}

Napi::Value ModelWrap::Config(const Napi::CallbackInfo& info) {
  return JsonToJs(info.Env(), model_->config().to_json());
}

Napi::Value ModelWrap::NumParams(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)model_->num_params());
}

Napi::Value ModelWrap::GraphStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto counts = [&](const PassGraphStats& g, Napi::Object o) {
    o.Set("captured", Napi::Number::New(env, (double)g.captured));
    o.Set("replayed", Napi::Number::New(env, (double)g.replayed));
    o.Set("direct", Napi::Number::New(env, (double)g.direct));
    o.Set("failed", Napi::Number::New(env, (double)g.failed));
    o.Set("dropped", Napi::Number::New(env, (double)g.dropped));
    return o;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("capacity", Napi::Number::New(env, model_->backend().graph_capacity()));
  counts(model_->graph_stats(), o);
  o.Set("decode", counts(model_->decode_graph_stats(), Napi::Object::New(env)));
  return o;
}

Napi::Value ModelWrap::ParamInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& ts = model_->layout().tensors;
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", ts[i].name);
    Napi::Array shape = Napi::Array::New(env, ts[i].shape.size());
    for (size_t k = 0; k < ts[i].shape.size(); ++k) shape.Set((uint32_t)k, ts[i].shape[k]);
    o.Set("shape", shape);
    o.Set("offset", (double)ts[i].offset);
    a.Set((uint32_t)i, o);
  }
  return a;
}

Napi::Value ModelWrap::GetParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Transformer& m = model(env);
  Napi::Float32Array out = Napi::Float32Array::New(env, m.buffer_floats());
  m.get_params(out.Data());
  return out;
}

Napi::Value ModelWrap::SetParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Transformer& m = model(env);
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowInvalid(env, "setParams(p): p must be a Float32Array");
  Napi::Float32Array p = info[0].As<Napi::Float32Array>();
  if (p.ElementLength() != m.buffer_floats())
    ThrowInvalid(env, "setParams(p): p has " + std::to_string(p.ElementLength()) + " floats, the model needs " +
                          std::to_string(m.buffer_floats()));
  for (size_t i = 0; i < p.ElementLength(); ++i)
    if (!std::isfinite(p.Data()[i])) ThrowInvalid(env, "setParams(p): p[" + std::to_string(i) + "] is not finite");
  m.set_params(p.Data());
  return env.Undefined();
}

Napi::Value ModelWrap::LossAndGrads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Transformer& m = model(env);
  Pairs p = GetPairs(env, info.Length() ? info[0] : env.Undefined(), "data");
  Napi::Object o = GetObject(env, info.Length() > 1 ? info[1] : env.Undefined(), "options");
  double seed = GetNumber(env, o, "dropoutSeed", 0, 0, 9007199254740991.0, true, "options");
  double step = GetNumber(env, o, "step", 0, 0, 9007199254740991.0, true, "options");
  bool train = GetBool(env, o, "train", false, "options");
  return Guard(env, [&]() -> Napi::Value {
    validate_pairs(p, m.config(), "data");
    if (p.size() == 0) fail("EINVAL", "data: no pairs");
    std::vector<int> idx(p.size());
    for (int i = 0; i < p.size(); ++i) idx[i] = i;
    Batch b = make_batch(p.src.data(), p.src_off.data(), p.tgt.data(), p.tgt_off.data(), idx.data(), p.size(),
                         m.config().pad_id, m.config().bos_id, m.config().eos_id);
    m.zero_grads();
    LossResult r = m.forward_backward(b, train, true, (uint64_t)seed, (uint64_t)step, b.label_tokens);
    Napi::Object out = Napi::Object::New(env);
    out.Set("loss", r.loss_sum / (double)r.tokens);
    out.Set("tokens", (double)r.tokens);
    Napi::Float32Array g = Napi::Float32Array::New(env, m.buffer_floats());
    m.get_grads(g.Data());
    out.Set("grads", g);
    return out;
  });
}

namespace {

TrainOptions ReadTrainOptions(Napi::Env env, Napi::Object o) {
  namespace R = ranges;
  const std::string w = "options";
  TrainOptions t;
  t.seed = (uint64_t)GetNumber(env, o, R::kSeed, 1, w);
  t.max_tokens = (int)GetNumber(env, o, R::kMaxTokens, t.max_tokens, w);
  t.max_sentences = (int)GetNumber(env, o, R::kMaxSentences, t.max_sentences, w);
  t.max_steps = (int64_t)GetNumber(env, o, R::kMaxSteps, 0, w);
  t.max_epochs = (int64_t)GetNumber(env, o, R::kMaxEpochs, 0, w);
  t.lr = GetNumber(env, o, R::kLr, t.lr, w);
  t.warmup_steps = (int64_t)GetNumber(env, o, R::kWarmupSteps, t.warmup_steps, w);
  std::string sched = GetStringField(env, o, "schedule", "inverse_sqrt", w);
  if (sched == "inverse_sqrt") t.schedule = TrainOptions::InverseSqrt;
  else if (sched == "cosine") t.schedule = TrainOptions::Cosine;
  else if (sched == "constant") t.schedule = TrainOptions::Constant;
  else ThrowInvalid(env, "options.schedule must be 'inverse_sqrt', 'cosine' or 'constant'");
  t.min_lr = GetNumber(env, o, R::kMinLr, 0, w);
  t.beta1 = GetNumber(env, o, R::kBeta1, t.beta1, w);
  t.beta2 = GetNumber(env, o, R::kBeta2, t.beta2, w);
  t.adam_eps = GetNumber(env, o, R::kAdamEps, t.adam_eps, w);
  t.weight_decay = GetNumber(env, o, R::kWeightDecay, t.weight_decay, w);
  t.clip_norm = GetNumber(env, o, R::kClipNorm, t.clip_norm, w);
  t.valid_every = (int64_t)GetNumber(env, o, R::kValidEvery, 0, w);
  t.patience = (int64_t)GetNumber(env, o, R::kPatience, 0, w);
  t.progress_every = (int64_t)GetNumber(env, o, R::kProgressEvery, 10, w);
  t.checkpoint_dir = GetStringField(env, o, "checkpointDir", "", w);
  t.checkpoint_every = (int64_t)GetNumber(env, o, R::kCheckpointEvery, 0, w);
  t.checkpoint_seconds = GetNumber(env, o, R::kCheckpointSeconds, t.checkpoint_seconds, w);
  t.resume = GetBool(env, o, "resume", false, w);
  t.restore_best = GetBool(env, o, "restoreBest", false, w);
  t.stop_after_steps = (int64_t)GetNumber(env, o, R::kStopAfterSteps, 0, w);
  return t;
}

}  // namespace

Napi::Value ModelWrap::Train(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto train = std::make_shared<Pairs>(GetPairs(env, info.Length() ? info[0] : env.Undefined(), "train"));
  std::shared_ptr<Pairs> valid;
  if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined())
    valid = std::make_shared<Pairs>(GetPairs(env, info[1], "valid"));
  TrainOptions opts = ReadTrainOptions(env, GetObject(env, info.Length() > 2 ? info[2] : env.Undefined(), "options"));
  Napi::Function cb;
  if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull()) {
    if (!info[3].IsFunction()) ThrowInvalid(env, "onProgress must be a function");
    cb = info[3].As<Napi::Function>();
  }
  // Validate before going off-thread, so bad input rejects synchronously with a clear message.
  Guard(env, [&] {
    opts.validate();
    validate_pairs(*train, model_->config(), "train");
    if (train->size() == 0) fail("EINVAL", "train: no pairs");
    if (valid) validate_pairs(*valid, model_->config(), "valid");
    return 0;
  });
  begin_job(env);
  auto model = model_;
  auto result = std::make_shared<TrainResult>();
  std::atomic<bool>* cancel = &cancel_;
  Napi::Reference<Napi::Object>* self = new Napi::Reference<Napi::Object>(Napi::Persistent(Value()));
  return AsyncJob::start(
      env, cb, "regurgitate.train",
      [model, train, valid, opts, result, cancel](AsyncJob& job) {
        Trainer trainer(*model, *train, valid.get(), opts);
        *result = trainer.run(
            [&job, cancel](const TrainProgress& p) {
              if (job.failed_in_js()) cancel->store(true);
              job.post([p](Napi::Env env, Napi::Function cb) {
                Napi::Object o = Napi::Object::New(env);
                o.Set("step", (double)p.step);
                o.Set("epoch", p.epoch);
                o.Set("loss", p.loss);
                o.Set("lr", p.lr);
                o.Set("tokensPerSec", p.tokens_per_sec);
                o.Set("elapsedSec", p.elapsed_sec);
                if (p.valid_loss) o.Set("validLoss", *p.valid_loss);
                if (p.best_valid_loss) o.Set("bestValidLoss", *p.best_valid_loss);
                cb.Call({o});
              });
            },
            *cancel, [&job] { job.flush(); });
      },
      [result](Napi::Env env) -> Napi::Value {
        const TrainResult& r = *result;
        Napi::Object o = Napi::Object::New(env);
        o.Set("steps", (double)r.steps);
        o.Set("epochs", r.epochs);
        o.Set("lastLoss", r.last_loss);
        o.Set("bestValidLoss", r.best_valid_loss ? Napi::Number::New(env, *r.best_valid_loss) : env.Null());
        o.Set("bestStep", r.best_step ? Napi::Number::New(env, (double)*r.best_step) : env.Null());
        o.Set("stoppedEarly", r.stopped_early);
        o.Set("cancelled", r.cancelled);
        o.Set("interrupted", r.interrupted);
        o.Set("seconds", r.seconds);
        return o;
      },
      [this, self] {
        end_job();
        self->Reset();
        delete self;
      });
}

Napi::Value ModelWrap::Cancel(const Napi::CallbackInfo& info) {
  cancel_.store(true);
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Transformer& m = model(env);
  std::string dir = GetPath(env, info.Length() ? info[0] : env.Undefined(), "save(dir): dir");
  Guard(env, [&] {
    save_model(dir, m);
    return 0;
  });
  return env.Undefined();
}

void RegisterModel(Napi::Env env, Napi::Object exports) { exports.Set("Model", ModelWrap::Define(env)); }

}  // namespace rg::napi
