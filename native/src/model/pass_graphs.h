// The training pass as CUDA graphs (backend.h, "recorded op sequences"): one recording per
// batch shape, made the second time a shape is seen (shapes settle: the sorted, bucketed
// batches recur every epoch), replayed from then on with one launch instead of one per op.
// Per-step values reach a replay through slots; this side knows what each slot holds (a
// dropout site, or the gradient scale) and checks that against what the backend recorded.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

#include "backend.h"

namespace rg {

struct PassGraphStats {
  long captured = 0;  // recordings made
  long replayed = 0;  // passes run as one graph launch
  long direct = 0;    // training passes run op by op (first sightings, no room, failures)
  long failed = 0;    // recordings that failed or did not match (those passes ran directly)
  long dropped = 0;   // recordings dropped (workspace or backend scratch moved)
};

class PassGraphs {
 public:
  // What a slot holds: a dropout site (its stream id is stream_id(step, site)) or this tag.
  static constexpr uint64_t kGradScale = ~0ull;

  explicit PassGraphs(Backend& be) : be_(be) {}
  ~PassGraphs() { clear(); }
  PassGraphs(const PassGraphs&) = delete;
  PassGraphs& operator=(const PassGraphs&) = delete;

  // Drops every recording (the workspace moved).
  void clear();
  // Runs the pass of shape (B, S, T) with dropout seed `seed` at `step`: a replay when a
  // recording exists, else `record` under capture when the shape is seen again and there
  // is room. `record(slots)` issues the pass's ops, pushing each slot's meaning to *slots
  // in the order the ops take them (null: don't). False: nothing ran; issue the ops directly.
  bool run(int B, int S, int T, uint64_t seed, uint64_t step, float grad_scale,
           const std::function<void(std::vector<uint64_t>*)>& record);
  const PassGraphStats& stats() const { return stats_; }

 private:
  struct Entry {
    void* graph = nullptr;
    uint64_t epoch = 0;
    std::vector<uint64_t> meaning;  // per slot: a dropout site or kGradScale
    int seen = 0, failures = 0;
  };
  using Key = std::tuple<int, int, int, uint64_t>;
  static std::vector<uint64_t> values(const std::vector<uint64_t>& meaning, uint64_t step, float grad_scale);
  void launch(Entry& e, uint64_t step, float grad_scale);

  Backend& be_;
  std::map<Key, Entry> entries_;
  int recorded_ = 0;
  PassGraphStats stats_;
};

}  // namespace rg
