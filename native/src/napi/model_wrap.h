// The JavaScript Model class: owns one Transformer; long calls (train, decode, score)
// run on their own thread and return Promises. While one runs the model is busy and
// other calls that touch it fail with EBUSY.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

#include "model/transformer.h"

namespace rg::napi {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);

  // Shared with decode_napi.cc.
  Transformer& model(Napi::Env env);  // throws EBUSY while a job runs
  void begin_job(Napi::Env env);
  void end_job() { busy_.store(false); }
  std::atomic<bool>& cancel_flag() { return cancel_; }

  static Napi::FunctionReference* constructor;

 private:
  static Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Config(const Napi::CallbackInfo& info);
  Napi::Value NumParams(const Napi::CallbackInfo& info);
  Napi::Value GraphStats(const Napi::CallbackInfo& info);
  Napi::Value ParamInfo(const Napi::CallbackInfo& info);
  Napi::Value GetParams(const Napi::CallbackInfo& info);
  Napi::Value SetParams(const Napi::CallbackInfo& info);
  Napi::Value LossAndGrads(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Decode(const Napi::CallbackInfo& info);  // decode_napi.cc
  Napi::Value Score(const Napi::CallbackInfo& info);   // decode_napi.cc
  Napi::Value Save(const Napi::CallbackInfo& info);

  std::shared_ptr<Transformer> model_;
  std::atomic<bool> busy_{false}, cancel_{false};
};

// Runs f, turning C++ errors into JavaScript errors with a code.
template <typename F>
auto Guard(Napi::Env env, F&& f) -> decltype(f());

}  // namespace rg::napi

#include "napi/guard.h"
