// What a receiver's reply means for deliverability (DESIGN "How status flows back"): a
// reverse-DNS/PTR policy rejection (RFC 7372 §3.3 5.7.25, Postfix "cannot find your reverse
// hostname"), SPF (5.7.23), DMARC (5.7.26), blocklists, rate limits, TLS, mailbox problems.
// Receivers word these freely, so enhanced codes win and text patterns are the fallback.
#pragma once

#include <string>
#include <string_view>

namespace mailroom::delivery {

enum class Classification {
  kNone,        // nothing specific (or a success)
  kReversePtr,  // no PTR / PTR not matching / no forward-confirmed reverse DNS
  kSpf,
  kDkim,
  kDmarc,
  kBlocklist,
  kRateLimit,
  kTls,
  kMailbox,  // unknown user, mailbox full, disabled
};

Classification classifyReply(int code, std::string_view enhanced, std::string_view text);
const char* classificationName(Classification c);  // "ptr", "spf", ... ("" for kNone)
// The human words for a classification, e.g. "no PTR" for kReversePtr.
const char* classificationWords(Classification c);

// The client IP a receiver quoted in its reply ("[2001:db8:5::10]", Gmail's "The IP
// 2001:db8::1 ..."), or "" when none. Receivers say which address they saw; behind NAT64 or a
// proxy that differs from the address we bound.
std::string quotedClientIp(std::string_view text);

}  // namespace mailroom::delivery
