// The SMTP service extensions a server announces in its EHLO reply (RFC 5321 §4.1.1.1, each
// line after the first is "keyword [params]"): STARTTLS (RFC 3207), PIPELINING (RFC 2920),
// 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034), CHUNKING
// (RFC 3030), SIZE (RFC 1870) and AUTH (RFC 4954).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/delivery/smtp/reply.h"

namespace mailroom::smtp {

struct Capabilities {
  bool esmtp = false;  // the server answered EHLO (false after a HELO fallback)
  bool starttls = false;
  bool pipelining = false;
  bool eightBitMime = false;
  bool smtpUtf8 = false;
  bool enhancedStatusCodes = false;
  bool chunking = false;
  bool dsn = false;
  std::optional<uint64_t> size;   // announced limit; nullopt when absent or "SIZE 0" (none)
  std::vector<std::string> auth;  // SASL mechanisms, upper case
  std::string serverName;         // the first word of the EHLO reply's first line
};

// Keywords are case-insensitive (§2.4); unknown keywords are ignored. A non-2xx reply gives
// empty capabilities.
Capabilities parseEhlo(const Reply& ehloReply);

}  // namespace mailroom::smtp
