#include "napi/async.h"

#include <chrono>
#include <new>

#include "common/error.h"
#include "napi/register.h"

namespace rg::napi {

Napi::Promise AsyncJob::start(Napi::Env env, Napi::Function cb, const char* name,
                              std::function<void(AsyncJob&)> work,
                              std::function<Napi::Value(Napi::Env)> result, std::function<void()> done) {
  auto* job = new AsyncJob(env);
  job->result_ = std::move(result);
  job->done_ = std::move(done);
  if (cb.IsEmpty()) cb = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  // Queue limit 64: a slow event loop drops progress rather than blocking training.
  job->tsfn_ = Napi::ThreadSafeFunction::New(env, cb, name, 64, 1, [job](Napi::Env) {
    if (job->thread_.joinable()) job->thread_.join();
    delete job;
  });
  Napi::Promise promise = job->deferred_.Promise();
  job->thread_ = std::thread([job, work = std::move(work)] {
    try {
      work(*job);
      job->ok_ = true;
    } catch (const rg::Error& e) {
      job->code_ = e.code();
      job->message_ = e.what();
    } catch (const std::bad_alloc&) {
      job->code_ = "ENOMEM";
      job->message_ = "out of memory";
    } catch (const std::exception& e) {
      job->code_ = "EINTERNAL";
      job->message_ = e.what();
    } catch (...) {
      job->code_ = "EINTERNAL";
      job->message_ = "unknown native error";
    }
    // The final call must not be dropped: BlockingCall waits for queue space.
    auto* fn = new MainFn([job](Napi::Env env, Napi::Function) { job->settle(env); });
    job->tsfn_.BlockingCall(fn, [](Napi::Env env, Napi::Function jsCb, MainFn* f) {
      (*f)(env, jsCb);
      delete f;
    });
    job->tsfn_.Release();
  });
  return promise;
}

void AsyncJob::post(MainFn fn) {
  auto* f = new MainFn(std::move(fn));
  napi_status st = tsfn_.NonBlockingCall(f, [this](Napi::Env env, Napi::Function jsCb, MainFn* fp) {
    std::unique_ptr<MainFn> own(fp);
    if (js_failed_.load() || env == nullptr) return;
    try {
      (*fp)(env, jsCb);
    } catch (const Napi::Error& e) {
      if (js_error_.IsEmpty()) js_error_ = Napi::Persistent(e.Value().As<Napi::Value>());
      js_failed_.store(true);
    }
  });
  if (st != napi_ok) delete f;
}

void AsyncJob::flush() {
  struct Barrier {
    std::mutex mu;
    std::condition_variable cv;
    bool reached = false;
  };
  auto b = std::make_shared<Barrier>();
  // The queue is first in, first out: when this runs, everything posted before it has.
  auto* fn = new MainFn([b](Napi::Env, Napi::Function) {
    std::lock_guard<std::mutex> lk(b->mu);
    b->reached = true;
    b->cv.notify_all();
  });
  napi_status st = tsfn_.BlockingCall(fn, [](Napi::Env env, Napi::Function jsCb, MainFn* f) {
    std::unique_ptr<MainFn> own(f);
    (*f)(env, jsCb);
  });
  if (st != napi_ok) {
    delete fn;
    return;
  }
  std::unique_lock<std::mutex> lk(b->mu);
  b->cv.wait_for(lk, std::chrono::seconds(60), [&] { return b->reached; });
}

void AsyncJob::settle(Napi::Env env) {
  Napi::HandleScope scope(env);
  if (done_) done_();
  if (js_failed_.load() && !js_error_.IsEmpty()) {
    deferred_.Reject(js_error_.Value());
    return;
  }
  if (!ok_) {
    deferred_.Reject(MakeError(env, code_, message_).Value());
    return;
  }
  try {
    deferred_.Resolve(result_ ? result_(env) : env.Undefined());
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

}  // namespace rg::napi
