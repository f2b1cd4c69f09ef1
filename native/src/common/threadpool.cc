#include "common/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace rg {
namespace {

thread_local bool t_in_parallel = false;

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return (int)workers_.size() + 1; }

  void resize(int n) {
    stop();
    start(n);
  }

  // Calls job(t) for t in [0, size()), the caller running t = 0.
  void run(const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> run_lock(run_mu_);  // one parallel region at a time
    if (workers_.empty()) {
      job(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      pending_ = (int)workers_.size();
      ++generation_;
    }
    cv_.notify_all();
    t_in_parallel = true;
    job(0);
    t_in_parallel = false;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void start(int n) {
    if (n <= 0) n = (int)std::max(1u, std::thread::hardware_concurrency());
    unsigned long gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = false;
      gen = generation_;
    }
    // Each worker starts from the generation current now: reading it inside the new
    // thread raced with an immediate stop() (setThreads before any parallel work), whose
    // wake-up the worker then never saw, and join() hung.
    for (int t = 1; t < n; ++t) workers_.emplace_back([this, t, gen] { loop(t, gen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  void loop(int t, unsigned long seen) {
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        if (quit_) return;
        job = job_;
      }
      t_in_parallel = true;
      (*job)(t);
      t_in_parallel = false;
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  int pending_ = 0;
  unsigned long generation_ = 0;
  bool quit_ = false;
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
