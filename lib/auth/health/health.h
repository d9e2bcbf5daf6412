// Mail DNS health of a sending domain: one typed verdict per thing a receiver will look at
// before it accepts mail from us. It aggregates the protocol libraries, it does not reimplement
// them: SPF check_host() per sending IP (RFC 7208), PTR / forward-confirmed reverse DNS per IP
// (RFC 8601 §2.7.3 "iprev", lib/auth/ptr), the DKIM key record per selector (RFC 6376 §3.6.1,
// RFC 8463), DMARC discovery and alignment (RFC 7489 §6.6.3, §3.1), DNS blocklists per IP and
// zone (RFC 5782, lib/auth/dnsbl), and, report-only, MX (RFC 5321 §5.1, RFC 7505 null MX),
// MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) presence.
//
// The rule that matters most: a check that could not be made (a temporary DNS failure, a
// timeout, a blocklist refusing the query) is Status::kUnknown, never kPass, so a broken DNS
// server can never make a domain look healthy. Decisions are pure functions (verdicts.h); the
// coroutine here only sequences the lookups.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/auth/dmarc/psl.h"
#include "lib/common/asio.h"
#include "lib/dns/resolver.h"

namespace mailroom::health {

enum class Status { kPass, kWarn, kFail, kUnknown };
const char* statusName(Status s);  // "pass", "warn", "fail", "unknown"

// One verdict. check names the concern ("spf", "ptr", "dkim", "dmarc", "dnsbl", "mx",
// "mta-sts", "tls-rpt"); subject what it was checked for (an IP, "198.51.100.11 dnsbl.example.net",
// a selector, the domain); code the underlying result in the protocol's words ("softfail",
// "noPtr", "listed", "revoked", ...) for machines; reason one sentence a person can act on.
struct CheckResult {
  std::string check;
  std::string subject;
  Status status = Status::kUnknown;
  std::string code;
  std::string reason;
  bool operator==(const CheckResult&) const = default;
};

struct DkimSelector {
  std::string selector;
  // What the record must carry, as the user has it: a PEM public or private key, DER
  // SubjectPublicKeyInfo, a "v=DKIM1; ... p=..." value or the base64 p= alone (dkim_key.h).
  std::optional<std::string> expectedKey;
};

struct HealthRequest {
  std::string domain;             // the sending domain (MAIL FROM and From, DKIM d=)
  std::vector<dns::Address> ips;  // every address mail leaves from, IPv4 and IPv6
  std::string ehloHostname;       // "" skips the EHLO = PTR comparison
  std::vector<DkimSelector> selectors;
  std::vector<std::string> dnsblZones;  // none by default: querying lists has a cost (dnsbl.h)
  std::chrono::system_clock::time_point now;  // the caller's clock: SPF %{t}, report time
  // For DMARC's Organizational Domain; null: the PSL default rule ("*": the last two labels).
  std::shared_ptr<const dmarc::PublicSuffixList> psl;
};

struct HealthReport {
  std::string domain;
  std::chrono::system_clock::time_point checkedAt;
  std::vector<CheckResult> checks;
};

// Worst status, in the order fail > unknown > warn > pass (an empty report is unknown: nothing
// was checked).
Status overallStatus(const HealthReport& report);
// mailroomctl check's exit code: 0 no fail and no unknown (warnings allowed), 1 any fail
// (problems found), 2 any unknown and no fail (could not check).
int exitCode(const HealthReport& report);

// Runs every check of the request; lookups run concurrently on the resolver's executor, results
// come back in a fixed order: spf per IP, ptr per IP, dkim per selector, dmarc, dnsbl per IP and
// zone, mx, mta-sts, tls-rpt. Takes the request by value: the coroutine starts suspended.
Task<HealthReport> checkDomain(dns::Resolver& resolver, HealthRequest request);

}  // namespace mailroom::health
