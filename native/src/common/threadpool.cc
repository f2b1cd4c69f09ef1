#include "common/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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

// Workers spin this long for the next region (and the caller for the workers still
// inside a region) before sleeping on a condition variable: kernels issue regions back
// to back, and a futex wake-up costs tens of microseconds (more in a VM).
// REGURGITATE_SPIN_US overrides (0 = never spin).
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

// A parallel region hands out work that any thread may claim (chunks taken from an
// atomic counter), so the caller never waits for a worker that has not started: when it
// has run out of work it closes the region, workers that arrive later skip it, and it
// only waits for the workers already inside. A thread that is descheduled (a shared
// machine) therefore costs at most its own chunk, never the whole region.
//
// ctl_ = region number (32 bits) | CLOSED | number of workers inside the region.
constexpr uint64_t kClosed = 1ull << 31;
constexpr uint64_t kCount = kClosed - 1;

class Pool {
 public:
  explicit Pool(int n) : want_(n) { start(n); }
  ~Pool() { stop(); }

  // The thread count in effect from the next region on (callers size their chunks by it;
  // chunks are claimed, so a count that differs from the workers running is harmless).
  int size() const { return want_.load(std::memory_order_relaxed); }

  // Never changes the workers under a running region: applied now if no region runs,
  // else by the next run() before it starts (results do not depend on the count).
  void resize(int n) {
    want_.store(n, std::memory_order_relaxed);
    if (t_in_parallel) return;  // the caller of a region owns run_mu_ (try_lock would be UB)
    std::unique_lock<std::mutex> lk(run_mu_, std::try_to_lock);
    if (lk.owns_lock()) apply_size();
  }

  // Runs job() on the caller and on every worker that joins in time; job must claim its
  // work from shared state and return when none is left. Rethrows the first exception.
  void run(const std::function<void()>& job) {
    std::lock_guard<std::mutex> run_lock(run_mu_);  // one parallel region at a time
    apply_size();
    if (workers_.empty()) {
      job();
      return;
    }
    error_ = nullptr;
    job_ = &job;
    const uint64_t region = ++region_;
    ctl_.store((region & 0xffffffffull) << 32, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.store(region, std::memory_order_release);  // publishes job_ and ctl_
      if (sleepers_ > 0) cv_.notify_all();
    }
    t_in_parallel = true;
    try {
      job();
    } catch (...) {
      record_error();
    }
    t_in_parallel = false;
    // All work is claimed: close the region and wait for the workers inside it.
    ctl_.fetch_or(kClosed, std::memory_order_acq_rel);
    auto done = [&] { return (ctl_.load(std::memory_order_acquire) & kCount) == 0; };
    if (!spin_until(done)) {
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, done);
    }
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void record_error() {
    std::lock_guard<std::mutex> lk(err_mu_);
    if (!error_) error_ = std::current_exception();
  }
  // With run_mu_ held: no region runs, so no worker is inside a job.
  void apply_size() {
    const int n = want_.load(std::memory_order_relaxed);
    if (n == (int)workers_.size() + 1) return;
    stop();
    start(n);
  }
  void start(int n) {
    if (n <= 0) n = (int)std::max(1u, std::thread::hardware_concurrency());
    quit_.store(false);
    // The generation is read here, not in the worker: a worker that starts late must
    // not miss a stop issued before it ran.
    const uint64_t gen = generation_.load();
    for (int t = 1; t < n; ++t) workers_.emplace_back([this, gen] { loop(gen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_.store(true);
      generation_.store(++region_, std::memory_order_release);
      cv_.notify_all();
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  void loop(uint64_t seen) {
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
      // Join region `seen` unless it is over (closed, or already followed by another).
      uint64_t v = ctl_.load(std::memory_order_acquire);
      bool joined = false;
      while ((v >> 32) == (seen & 0xffffffffull) && !(v & kClosed)) {
        if (ctl_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;
      // Inside the region the caller cannot finish it, so job_ is this region's job.
      const std::function<void()>* job = job_;
      t_in_parallel = true;
      try {
        (*job)();
      } catch (...) {
        record_error();
      }
      t_in_parallel = false;
      const uint64_t left = ctl_.fetch_sub(1, std::memory_order_acq_rel) - 1;
      if ((left & kCount) == 0 && (left & kClosed)) {
        std::lock_guard<std::mutex> lk(mu_);  // pairs with the caller's predicate check
        done_cv_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_, err_mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void()>* job_ = nullptr;  // published by generation_ (release)
  std::exception_ptr error_;
  uint64_t region_ = 0;  // guarded by run_mu_ (and by stop/start, which run alone)
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> ctl_{0};
  std::atomic<bool> quit_{false};
  std::atomic<int> want_;  // requested size; the workers follow under run_mu_
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
  pool().resize(n);
}

// Chunk c of T covers [n*c/T, n*(c+1)/T): the boundaries depend only on n and the thread
// count. Which thread runs a chunk does not matter (fn gets no thread index), so chunks
// are claimed dynamically and a late or descheduled worker never stalls the region.
void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  int T = t_in_parallel ? 1 : pool().size();
  if (T == 1 || n == 1) {
    fn(0, n);
    return;
  }
  const size_t chunks = std::min<size_t>((size_t)T, n);
  std::atomic<size_t> next{0};
  pool().run([&] {
    for (size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      size_t b = n * c / chunks, e = n * (c + 1) / chunks;
      if (b < e) fn(b, e);
    }
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
  pool().run([&] {
    for (size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) fn(c);
  });
}

}  // namespace rg
