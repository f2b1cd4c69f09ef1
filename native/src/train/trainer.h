// The training loop, entirely native: batching, schedule, AdamW, clipping, validation,
// early stopping, checkpoints and resume. Runs on a thread of its own (napi/).
#pragma once
#include <atomic>
#include <functional>
#include <optional>

#include "model/transformer.h"
#include "train/data.h"
#include "train/options.h"

namespace rg {

struct TrainProgress {
  int64_t step = 0;
  double epoch = 0;  // fractional: epochs completed
  double loss = 0;   // mean token loss since the previous report
  double lr = 0, tokens_per_sec = 0, elapsed_sec = 0;
  std::optional<double> valid_loss, best_valid_loss;
};

struct TrainResult {
  int64_t steps = 0;
  double epochs = 0, last_loss = 0, seconds = 0;
  std::optional<double> best_valid_loss;
  std::optional<int64_t> best_step;
  bool stopped_early = false, cancelled = false, interrupted = false;
};

class Trainer {
 public:
  Trainer(Transformer& model, const Pairs& train, const Pairs* valid, const TrainOptions& opts);
  // `flush`, if given, returns once every progress report passed so far has been handled
  // (a checkpoint is committed only after the reports up to its step are, so that a log
  // of them can be cut back to the checkpoint on resume).
  TrainResult run(const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>& cancel,
                  const std::function<void()>& flush = {});
  double evaluate(const Pairs& data);  // mean label-smoothed token loss, no dropout

 private:
  Transformer& m_;
  const Pairs& train_;
  const Pairs* valid_;
  TrainOptions o_;
};

}  // namespace rg
