#include "model/pass_graphs.h"

#include <cstring>
#include <exception>

#include "common/rng.h"

namespace rg {

void PassGraphs::clear() {
  for (auto& kv : entries_)
    if (kv.second.graph) {
      be_.graph_release(kv.second.graph);
      ++stats_.dropped;
    }
  entries_.clear();
  recorded_ = 0;
}

std::vector<uint64_t> PassGraphs::values(const std::vector<uint64_t>& meaning, const Step& at) {
  uint32_t gs;
  std::memcpy(&gs, &at.grad_scale, sizeof gs);
  std::vector<uint64_t> v(meaning.size());
  for (size_t i = 0; i < meaning.size(); ++i) {
    const uint64_t m = meaning[i];
    v[i] = m == kGradScale ? (uint64_t)gs
           : m == kPos     ? (uint64_t)(uint32_t)at.pos
           : m == kZero    ? 0
                           : stream_id(at.step, m);
  }
  return v;
}

void PassGraphs::launch(Entry& e, const Step& at) {
  const std::vector<uint64_t> v = values(e.meaning, at);
  be_.graph_launch(e.graph, v.data(), v.size());
  ++stats_.replayed;
}

bool PassGraphs::run(int B, int S, int T, uint64_t seed, const Step& at,
                     const std::function<void(std::vector<uint64_t>*)>& record) {
  const int cap = be_.graph_capacity();
  if (cap <= 0) return false;
  const Key key{B, S, T, seed};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    // Shapes past the capacity always run directly: no evictions, so no re-recording churn
    // when an epoch has more shapes than fit.
    if ((int)entries_.size() >= 4 * cap) {
      ++stats_.direct;
      return false;
    }
    it = entries_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.graph && e.epoch != be_.memory_epoch()) {  // scratch moved: the recording is stale
    be_.graph_release(e.graph);
    e.graph = nullptr;
    --recorded_;
    ++stats_.dropped;
  }
  if (e.graph) {
    launch(e, at);
    return true;
  }
  if (++e.seen < 2 || e.failures >= 2 || recorded_ >= cap) {
    ++stats_.direct;
    return false;
  }
  const uint64_t epoch = be_.memory_epoch();
  std::vector<uint64_t> meaning, got;
  if (!be_.graph_begin()) {
    ++stats_.direct;
    return false;
  }
  try {
    record(&meaning);
  } catch (const std::exception&) {
    // Nothing ran; the caller issues the ops again, directly. graph_end may still hand back
    // a recording of the ops issued before the throw (CUDA instantiates whatever was
    // captured): it must not be kept, and must be released, or it leaks.
    if (void* partial = be_.graph_end(nullptr)) be_.graph_release(partial);
    ++e.failures;
    ++stats_.failed;
    ++stats_.direct;
    return false;
  }
  void* g = be_.graph_end(&got);
  // Every slot must hold what this side thinks it holds, or replays would use wrong masks.
  if (!g || got != values(meaning, at) || be_.memory_epoch() != epoch) {
    if (g) be_.graph_release(g);
    ++e.failures;
    ++stats_.failed;
    ++stats_.direct;
    return false;
  }
  e.graph = g;
  e.epoch = epoch;
  e.meaning = std::move(meaning);
  ++recorded_;
  ++stats_.captured;
  launch(e, at);
  return true;
}

}  // namespace rg
