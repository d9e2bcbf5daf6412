// The books of one delivery attempt for one destination: which of its recipients are still
// open, what each one got so far, and how each one ends — delivered, deferred with the retry
// schedule (sidecar/policy/retry.h), or bounced. Every delivery strategy keeps the same books;
// it records replies and attempt rows here and leaves the rules about final states to this
// class. The recipients live in the engine's envelope; nothing here does I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sidecar/policy/retry.h"
#include "sidecar/spool/envelope.h"

namespace mailroom::delivery {

// What happened to one recipient during this attempt.
struct RecipientTrack {
  size_t index = 0;     // into envelope.recipients
  size_t firstRow = 0;  // history rows from here on belong to this attempt
  bool open = true;     // still to be delivered in this attempt
  std::optional<spool::Reply> lastReply;
  bool lastWasPermanent = false;  // the last thing that happened was a 5xx
  std::string ptrNote;            // "rejected over IPv6 from 2001:db8:5::10 (no PTR)"
};

class DestinationAttempt {
 public:
  // Counts an attempt for each recipient (the caller passes pending ones only).
  DestinationAttempt(spool::Envelope& envelope, std::string destination,
                     const std::vector<size_t>& recipients, policy::RetryPolicy retry,
                     spool::TimePoint now);

  const std::string& destination() const { return destination_; }
  spool::TimePoint now() const { return now_; }
  const spool::Envelope& envelope() const { return envelope_; }
  spool::Recipient& recipient(const RecipientTrack& t) { return envelope_.recipients[t.index]; }
  std::vector<RecipientTrack>& tracks() { return tracks_; }
  const std::vector<RecipientTrack>& tracks() const { return tracks_; }
  std::vector<RecipientTrack*> open();

  void addRow(RecipientTrack& t, spool::Attempt row);
  void bounce(RecipientTrack& t, const spool::Reply& reply, std::string summary);
  // Deferred with the next retry time, or bounced when the queue lifetime is over.
  void defer(RecipientTrack& t, const spool::Reply& reply, const std::string& why);
  // Ends every open recipient the same way (no route, no MX, no address).
  void finishAll(bool permanent, const spool::Reply& reply, const std::string& why);
  // Ends the recipients still open after every target was tried: by their last reply.
  void finishOpen();

 private:
  spool::Envelope& envelope_;
  std::string destination_;
  policy::RetryPolicy retry_;
  spool::TimePoint now_;
  std::vector<RecipientTrack> tracks_;
};

std::string describe(const spool::Reply& reply);  // "450 4.2.0 try later"

}  // namespace mailroom::delivery
