// The sidecar's standing outcome subscribers: Prometheus counters (docs/observability.md) and
// one log line per recipient outcome.
#pragma once

#include "lib/metrics/metrics.h"
#include "sidecar/delivery/outcome.h"

namespace mailroom::delivery {

class OutcomeMetrics : public OutcomeSink {
 public:
  explicit OutcomeMetrics(metrics::Registry& metrics);
  void onOutcome(const RecipientOutcome& outcome) override;

 private:
  metrics::Registry& metrics_;
};

class OutcomeLog : public OutcomeSink {
 public:
  void onOutcome(const RecipientOutcome& outcome) override;
};

}  // namespace mailroom::delivery
