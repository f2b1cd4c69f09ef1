#include "train/options.h"

#include <cmath>

#include "common/error.h"
#include "common/option_ranges.h"

namespace rg {

void TrainOptions::validate() const {
  auto need = [](bool ok, const std::string& m) {
    if (!ok) fail("EINVAL", "train options: " + m);
  };
  // The ranges TypeScript checks too (common/option_ranges.h), then what ties options together.
  namespace R = ranges;
  auto in = [&](const OptionRange& r, double x) { need(r.contains(x), std::string(r.name) + " must be " + r.describe()); };
  in(R::kSeed, (double)seed);
  in(R::kMaxTokens, max_tokens);
  in(R::kMaxSentences, max_sentences);
  in(R::kMaxSteps, (double)max_steps);
  in(R::kMaxEpochs, (double)max_epochs);
  in(R::kLr, lr);
  in(R::kWarmupSteps, (double)warmup_steps);
  in(R::kMinLr, min_lr);
  in(R::kBeta1, beta1);
  in(R::kBeta2, beta2);
  in(R::kAdamEps, adam_eps);
  in(R::kWeightDecay, weight_decay);
  in(R::kClipNorm, clip_norm);
  in(R::kValidEvery, (double)valid_every);
  in(R::kPatience, (double)patience);
  in(R::kProgressEvery, (double)progress_every);
  in(R::kCheckpointEvery, (double)checkpoint_every);
  in(R::kCheckpointSeconds, checkpoint_seconds);
  in(R::kStopAfterSteps, (double)stop_after_steps);
  need(max_steps > 0 || max_epochs > 0, "set maxSteps or maxEpochs (both are 0: training would never end)");
  need(schedule != Cosine || max_steps > 0, "schedule 'cosine' needs maxSteps > 0");
  need(min_lr <= lr, "minLr must be <= lr");
  need(!resume || !checkpoint_dir.empty(), "resume needs a checkpointDir");
}

double TrainOptions::lr_at(int64_t step) const {
  const double w = (double)warmup_steps, s = (double)step;
  if (warmup_steps > 0 && step < warmup_steps) return lr * s / w;
  switch (schedule) {
    case InverseSqrt: return warmup_steps > 0 ? lr * std::sqrt(w / s) : lr / std::sqrt(s);
    case Cosine: {
      double span = std::max(1.0, (double)max_steps - w);
      double t = std::min(1.0, (s - w) / span);
      return min_lr + (lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * t));
    }
    default: return lr;
  }
}

}  // namespace rg
