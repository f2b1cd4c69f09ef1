#include "train/options.h"

#include <cmath>

#include "common/error.h"

namespace rg {

void TrainOptions::validate() const {
  auto need = [](bool ok, const std::string& m) {
    if (!ok) fail("EINVAL", "train options: " + m);
  };
  need(max_tokens >= 2, "maxTokens must be at least 2");
  need(max_sentences >= 1, "maxSentences must be at least 1");
  need(max_steps >= 0 && max_epochs >= 0, "maxSteps and maxEpochs must be >= 0");
  need(max_steps > 0 || max_epochs > 0, "set maxSteps or maxEpochs (both are 0: training would never end)");
  need(std::isfinite(lr) && lr > 0 && lr < 10, "lr must be in (0, 10)");
  need(warmup_steps >= 0, "warmupSteps must be >= 0");
  need(schedule != Cosine || max_steps > 0, "schedule 'cosine' needs maxSteps > 0");
  need(std::isfinite(min_lr) && min_lr >= 0 && min_lr <= lr, "minLr must be in [0, lr]");
  need(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "beta1 and beta2 must be in [0, 1)");
  need(std::isfinite(adam_eps) && adam_eps > 0, "adamEps must be > 0");
  need(std::isfinite(weight_decay) && weight_decay >= 0 && weight_decay < 1, "weightDecay must be in [0, 1)");
  need(std::isfinite(clip_norm) && clip_norm >= 0, "clipNorm must be >= 0");
  need(valid_every >= 0 && patience >= 0 && progress_every >= 1 && checkpoint_every >= 0 && stop_after_steps >= 0,
       "validEvery, patience, checkpointEvery, stopAfterSteps must be >= 0 and progressEvery >= 1");
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
