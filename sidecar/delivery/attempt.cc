#include "sidecar/delivery/attempt.h"

#include <ctime>

namespace mailroom::delivery {
namespace {

std::string isoTime(spool::TimePoint t) {
  auto secs = spool::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string describe(const spool::Reply& r) {
  std::string s = std::to_string(r.code);
  if (!r.enhanced.empty()) s += " " + r.enhanced;
  if (!r.text.empty()) s += " " + r.text;
  return s;
}

DestinationAttempt::DestinationAttempt(spool::Envelope& envelope, std::string destination,
                                       const std::vector<size_t>& recipients,
                                       policy::RetryPolicy retry, spool::TimePoint now)
    : envelope_(envelope), destination_(std::move(destination)), retry_(retry), now_(now) {
  tracks_.reserve(recipients.size());
  for (size_t i : recipients) {
    auto& r = envelope_.recipients[i];
    r.attempts += 1;
    RecipientTrack t;
    t.index = i;
    t.firstRow = r.history.size();
    tracks_.push_back(std::move(t));
  }
}

std::vector<RecipientTrack*> DestinationAttempt::open() {
  std::vector<RecipientTrack*> out;
  for (auto& t : tracks_)
    if (t.open) out.push_back(&t);
  return out;
}

void DestinationAttempt::addRow(RecipientTrack& t, spool::Attempt row) {
  recipient(t).history.push_back(std::move(row));
}

void DestinationAttempt::bounce(RecipientTrack& t, const spool::Reply& reply, std::string summary) {
  auto& r = recipient(t);
  r.state = spool::RecipientState::kBounced;
  r.lastReply = reply;
  r.summary = std::move(summary);
  t.open = false;
}

void DestinationAttempt::defer(RecipientTrack& t, const spool::Reply& reply,
                               const std::string& why) {
  auto& r = recipient(t);
  r.lastReply = reply;
  if (policy::expired(retry_, envelope_.acceptedAt, now_)) {
    bounce(t, reply,
           "gave up after " + std::to_string(r.attempts) +
               " attempts (queue lifetime exceeded); last: " + why);
    return;
  }
  r.state = spool::RecipientState::kDeferred;
  r.nextAttempt = policy::nextAttempt(retry_, envelope_.acceptedAt, r.attempts, now_);
  r.summary = "deferred: " + why + "; next attempt " + isoTime(r.nextAttempt);
  t.open = false;
}

void DestinationAttempt::finishAll(bool permanent, const spool::Reply& reply,
                                   const std::string& why) {
  for (auto& t : tracks_) {
    if (!t.open) continue;
    if (permanent)
      bounce(t, reply, why);
    else
      defer(t, reply, why);
  }
}

void DestinationAttempt::finishOpen() {
  for (auto& t : tracks_) {
    if (!t.open) continue;
    spool::Reply reply =
        t.lastReply.value_or(spool::Reply{0, "", "no target accepted a connection"});
    std::string why = describe(reply);
    if (!t.ptrNote.empty()) why = t.ptrNote + "; then " + why;
    if (t.lastWasPermanent)
      bounce(t, reply, why);
    else
      defer(t, reply, why);
  }
}

}  // namespace mailroom::delivery
