// Training options (validated in TypeScript first, checked again here with the same
// ranges, common/option_ranges.h) and the schedule.
#pragma once
#include <cstdint>
#include <string>

namespace rg {

struct TrainOptions {
  uint64_t seed = 1;
  int max_tokens = 4096, max_sentences = 256;
  int64_t max_steps = 0, max_epochs = 0;
  double lr = 5e-4;
  int64_t warmup_steps = 4000;
  enum Schedule { InverseSqrt, Cosine, Constant } schedule = InverseSqrt;
  double min_lr = 0;
  double beta1 = 0.9, beta2 = 0.98, adam_eps = 1e-9, weight_decay = 0.0, clip_norm = 1.0;
  int64_t valid_every = 0, patience = 0, progress_every = 10;
  std::string checkpoint_dir;
  int64_t checkpoint_every = 0;
  double checkpoint_seconds = 20;  // of training between checkpoints (with checkpoint_dir); 0 = off
  bool resume = false, restore_best = false;
  int64_t stop_after_steps = 0;

  void validate() const;  // rg::Error EINVAL naming the option
  double lr_at(int64_t step) const;  // step >= 1
};

}  // namespace rg
