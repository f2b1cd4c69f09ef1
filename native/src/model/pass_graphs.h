// Recorded op sequences (backend.h; CUDA graphs): the training pass, one recording per
// batch shape, made the second time a shape is seen (shapes settle: the sorted batches
// recur every epoch), and the decoding step, one recording per decoding batch made at its
// second position; replayed from then on with one launch instead of one per op. Per-step
// values reach a replay through slots; this side knows what each slot holds (a dropout
// site, the gradient scale, the position, a zero) and checks that against what the backend
// recorded.
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
  // What a slot holds: a dropout site (its stream id is stream_id(step, site)) or a tag.
  static constexpr uint64_t kGradScale = ~0ull;  // the loss's gradient scale (float bits)
  static constexpr uint64_t kPos = ~0ull - 1;    // the position (embed_fwd, append_rows)
  static constexpr uint64_t kZero = ~0ull - 2;   // 0 (decoding's dropout-free stream ids)
  // The per-step values the slots are filled from.
  struct Step {
    uint64_t step = 0;
    float grad_scale = 0.0f;
    int pos = 0;
  };

  explicit PassGraphs(Backend& be) : be_(be) {}
  ~PassGraphs() { clear(); }
  PassGraphs(const PassGraphs&) = delete;
  PassGraphs& operator=(const PassGraphs&) = delete;

  // Drops every recording (the workspace moved).
  void clear();
  // Runs the ops of shape key (B, S, T, seed) for step values `at`: a replay when a
  // recording exists, else `record` under capture when the key is seen again and there is
  // room. `record(slots)` issues the ops, pushing each slot's meaning to *slots in the
  // order the ops take them (null: don't). False: nothing ran; issue the ops directly.
  bool run(int B, int S, int T, uint64_t seed, const Step& at,
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
  static std::vector<uint64_t> values(const std::vector<uint64_t>& meaning, const Step& at);
  void launch(Entry& e, const Step& at);

  Backend& be_;
  std::map<Key, Entry> entries_;
  int recorded_ = 0;
  PassGraphStats stats_;
};

}  // namespace rg
