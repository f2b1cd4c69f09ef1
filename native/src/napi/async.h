// Long work runs on a std::thread of its own (never libuv's small pool, never the
// event loop). The thread touches no JavaScript: it posts closures that run on the
// main thread through a ThreadSafeFunction, and the last one settles the Promise.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rg::napi {

class AsyncJob {
 public:
  using MainFn = std::function<void(Napi::Env, Napi::Function)>;
  // work runs off-thread and may call job.post(); on success, result builds the value
  // the Promise resolves with (on the main thread); `done` runs on the main thread in
  // every case (e.g. to clear a busy flag). cb is an optional JS callback handed to
  // posted closures (progress).
  static Napi::Promise start(Napi::Env env, Napi::Function cb, const char* name,
                             std::function<void(AsyncJob&)> work,
                             std::function<Napi::Value(Napi::Env)> result,
                             std::function<void()> done);

  // Queue a closure for the main thread; dropped if the queue is full (progress only).
  void post(MainFn fn);
  // Returns once the closures posted so far have run on the main thread (from any thread
  // of the job, before work returns). Gives up after a minute, or when the main thread
  // is shutting down.
  void flush();
  // Set when a posted closure threw: the job should stop; the Promise rejects with it.
  bool failed_in_js() const { return js_failed_.load(); }

 private:
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  Napi::Promise::Deferred deferred_;
  std::atomic<bool> js_failed_{false};
  Napi::Reference<Napi::Value> js_error_;
  std::string code_, message_;
  bool ok_ = false;
  std::function<Napi::Value(Napi::Env)> result_;
  std::function<void()> done_;

  explicit AsyncJob(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}
  void settle(Napi::Env env);
};

}  // namespace rg::napi
