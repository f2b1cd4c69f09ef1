// Training checkpoints: DIR/step-NNNNNNNN/{model.safetensors, config.json,
// optimizer.safetensors, trainer.json}, written into step-NNNNNNNN.tmp/, renamed, and
// committed by atomically replacing DIR/latest.json. A crash or kill at any moment leaves
// latest.json naming a complete checkpoint; after a commit the new checkpoint and the one
// before it are kept, everything else (older steps, uncommitted leftovers) is removed.
#pragma once
#include <atomic>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "model/config.h"
#include "model/params.h"
#include "model/transformer.h"

namespace rg {

struct CheckpointData {
  std::vector<float> params, adam_m, adam_v;  // host copies, layout order
  Json trainer;                               // step, epoch, position, best, fingerprint...
};

// Writes a checkpoint for `step`; `before_commit` runs after its files are on disk and
// before latest.json names it. Tests set REGURGITATE_TEST_CHECKPOINT_HOLD=N to make the
// N-th checkpoint a process writes pause for 60 s half-written (to be killed there).
void save_checkpoint(const std::string& dir, int64_t step, const ModelConfig& cfg, const ParamLayout& layout,
                     const CheckpointData& d, const std::function<void()>& before_commit = {});
// Returns false when DIR has no latest.json.
bool load_latest_checkpoint(const std::string& dir, const Transformer& m, CheckpointData& d);

// Writes checkpoints on a thread of its own, so that training goes on while the files are
// written: fill buffers() (a snapshot of the state), then start(); one write at a time.
class CheckpointWriter {
 public:
  CheckpointWriter(std::string dir, const Transformer& m, std::function<void()> before_commit)
      : dir_(std::move(dir)), cfg_(m.config()), layout_(m.layout()), before_commit_(std::move(before_commit)) {}
  ~CheckpointWriter();  // waits for a write in flight (so that it is committed)
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Whether a write is still in flight.
  bool busy() const { return thread_.joinable() && !done_.load(); }
  // The snapshot to fill; only between wait() and start().
  CheckpointData& buffers() { return data_; }
  // Writes buffers() as the checkpoint of `step` in the background (waits for the previous write first).
  void start(int64_t step);
  // Waits for the write in flight; throws its error if it failed.
  void wait();

 private:
  std::string dir_;
  ModelConfig cfg_;
  ParamLayout layout_;
  std::function<void()> before_commit_;
  CheckpointData data_;
  std::thread thread_;
  std::atomic<bool> done_{true};
  std::exception_ptr error_;
};

}  // namespace rg
