#include "sidecar/spool/envelope.h"

#include <algorithm>

namespace mailroom::spool {

bool Envelope::final() const {
  return std::none_of(recipients.begin(), recipients.end(),
                      [](const Recipient& r) { return r.pending(); });
}

size_t Envelope::pendingCount() const {
  return static_cast<size_t>(std::count_if(recipients.begin(), recipients.end(),
                                           [](const Recipient& r) { return r.pending(); }));
}

TimePoint Envelope::finishedAt() const {
  TimePoint t = acceptedAt;
  for (const auto& r : recipients)
    for (const auto& a : r.history) t = std::max(t, a.at);
  return t;
}

void trimHistory(Recipient& recipient) {
  auto& h = recipient.history;
  if (h.size() <= kHistoryTail + 1) return;
  h.erase(h.begin() + 1, h.end() - static_cast<std::ptrdiff_t>(kHistoryTail));
}

void appendAttempt(Recipient& recipient, Attempt attempt) {
  recipient.history.push_back(std::move(attempt));
  trimHistory(recipient);
}

const char* toString(RecipientState state) {
  switch (state) {
    case RecipientState::kQueued:
      return "queued";
    case RecipientState::kDeferred:
      return "deferred";
    case RecipientState::kDelivered:
      return "delivered";
    case RecipientState::kBounced:
      return "bounced";
  }
  return "unknown";
}

}  // namespace mailroom::spool
