#include "common/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RG_CPU_RELAX() _mm_pause()
#else
#define RG_CPU_RELAX() std::this_thread::yield()
#endif

namespace rg {
namespace {

thread_local bool t_in_parallel = false;

// Workers spin this long for the next region (and the caller for the last worker)
// before sleeping on a condition variable: kernels issue regions back to back, and a
// futex wake-up costs tens of microseconds. REGURGITATE_SPIN_US overrides (0 = never spin).
int spin_us() {
  static const int us = [] {
    if (const char* s = std::getenv("REGURGITATE_SPIN_US")) {
      int v = std::atoi(s);
      if (v >= 0) return std::min(v, 100000);
    }
    return 100;
  }();
  return us;
}

// Spins until pred() or the spin budget runs out; returns pred(). After a short burst of
// pause instructions it yields between checks: when the machine is oversubscribed (other
// processes, or more threads than cores) the thread we wait for may need this core.
template <class Pred>
bool spin_until(Pred pred) {
  const int budget = spin_us();
  if (budget <= 0) return pred();
  for (int i = 0; i < 256; ++i) {
    if (pred()) return true;
    RG_CPU_RELAX();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(budget);
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (pred()) return true;
      RG_CPU_RELAX();
    }
    std::this_thread::yield();
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return (int)workers_.size() + 1; }

  void resize(int n) {
    stop();
    start(n);
  }

  // Calls job(t) for t in [0, size()), the caller running t = 0. An exception thrown
  // by any job(t) is rethrown here after every thread has finished.
  void run(const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> run_lock(run_mu_);  // one parallel region at a time
    if (workers_.empty()) {
      job(0);
      return;
    }
    error_ = nullptr;
    job_ = &job;
    pending_.store((int)workers_.size(), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
      if (sleepers_ > 0) cv_.notify_all();
    }
    t_in_parallel = true;
    try {
      job(0);
    } catch (...) {
      std::lock_guard<std::mutex> lk(err_mu_);
      if (!error_) error_ = std::current_exception();
    }
    t_in_parallel = false;
    auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(done)) {
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, done);
    }
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(int n) {
    if (n <= 0) n = (int)std::max(1u, std::thread::hardware_concurrency());
    quit_.store(false);
    // The generation is read here, not in the worker: a worker that starts late must
    // not miss a region (or a stop) issued before it ran.
    const unsigned long gen = generation_.load();
    for (int t = 1; t < n; ++t) workers_.emplace_back([this, t, gen] { loop(t, gen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_.store(true);
      generation_.fetch_add(1, std::memory_order_release);
      cv_.notify_all();
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  void loop(int t, unsigned long seen) {
    for (;;) {
      auto fresh = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lk(mu_);
        ++sleepers_;
        cv_.wait(lk, fresh);
        --sleepers_;
      }
      seen = generation_.load(std::memory_order_acquire);
      if (quit_.load()) return;
      const std::function<void(int)>* job = job_;
      t_in_parallel = true;
      try {
        (*job)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
      t_in_parallel = false;
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);  // pairs with the caller's predicate check
        done_cv_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_, err_mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;  // published by generation_ (release)
  std::exception_ptr error_;
  std::atomic<int> pending_{0};
  std::atomic<unsigned long> generation_{0};
  std::atomic<bool> quit_{false};
  int sleepers_ = 0;  // guarded by mu_
};

int default_threads() {
  if (const char* s = std::getenv("REGURGITATE_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) return n;
  }
  return (int)std::max(1u, std::thread::hardware_concurrency());
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  if (n <= 0) n = default_threads();
  if (n != pool().size()) pool().resize(n);
}

void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  int T = t_in_parallel ? 1 : pool().size();
  if (T == 1 || n == 1) {
    fn(0, n);
    return;
  }
  size_t threads = std::min<size_t>((size_t)T, n);
  pool().run([&](int t) {
    if ((size_t)t >= threads) return;
    size_t b = n * (size_t)t / threads, e = n * (size_t)(t + 1) / threads;
    if (b < e) fn(b, e);
  });
}

void parallel_chunks(size_t chunks, const std::function<void(size_t)>& fn) {
  if (chunks == 0) return;
  int T = t_in_parallel ? 1 : pool().size();
  if (T == 1 || chunks == 1) {
    for (size_t c = 0; c < chunks; ++c) fn(c);
    return;
  }
  std::atomic<size_t> next{0};
  pool().run([&](int) {
    for (size_t c; (c = next.fetch_add(1)) < chunks;) fn(c);
  });
}

}  // namespace rg
