// Training checkpoints: DIR/step-NNNNNNNN/{model.safetensors, config.json,
// optimizer.safetensors, trainer.json}, committed by atomically replacing
// DIR/latest.json. A crash at any moment leaves latest.json naming a complete one.
#pragma once
#include <string>
#include <vector>

#include "common/json.h"
#include "model/transformer.h"

namespace rg {

struct CheckpointData {
  std::vector<float> params, adam_m, adam_v;  // host copies, layout order
  Json trainer;                               // step, epoch, position, best, fingerprint...
};

// Writes a checkpoint for `step`, then points latest.json at it and keeps the newest `keep`.
void save_checkpoint(const std::string& dir, int64_t step, const Transformer& m, const CheckpointData& d,
                     int keep = 2);
// Returns false when DIR has no latest.json.
bool load_latest_checkpoint(const std::string& dir, const Transformer& m, CheckpointData& d);

}  // namespace rg
