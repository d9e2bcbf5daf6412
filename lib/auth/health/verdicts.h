// The decisions of the health check: pure functions from what the protocol libraries (or one
// DNS answer) returned to a CheckResult with a status and a reason a person can act on. No I/O
// here, so every path is unit-tested without a resolver; checkDomain (health.h) feeds them.
//
// Mapping (docs/health.md explains each):
//   SPF (RFC 7208 §2.6)  pass → pass; fail, softfail, neutral, none, permerror → fail (the IP
//                        is not authorized, so DMARC cannot pass on SPF); temperror → unknown
//   PTR (RFC 8601 iprev) pass → pass; no PTR, not forward-confirmed → fail; EHLO mismatch →
//                        warn; temporary error → unknown
//   DKIM (RFC 6376)      usable key → pass; t=y or a 1024..2047-bit RSA key → warn; missing,
//                        several, unparsable, revoked, other than expected, weak → fail
//   DMARC (RFC 7489)     p=quarantine/reject with an aligned path → pass; p=none → warn; no
//                        record, several, invalid, or an enforcing policy that mail from some
//                        IP cannot pass → fail
//   DNSBL (RFC 5782)     not listed → pass; listed → fail; refused or DNS failure → unknown
//   MX, MTA-STS, TLS-RPT report-only: present → pass, absent → warn (NXDOMAIN domain → fail)
// Any temporary DNS failure or timeout is unknown ("could not check"), never pass.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dmarc/dmarc.h"
#include "lib/auth/dnsbl/dnsbl.h"
#include "lib/auth/health/health.h"
#include "lib/auth/ptr/ptr.h"
#include "lib/auth/spf/check_host.h"
#include "lib/dns/resolver.h"

namespace mailroom::health {

// The SPF term that would authorize ip: "ip4:198.51.100.11" / "ip6:2001:db8:5::10".
std::string spfTermFor(const dns::Address& ip);

CheckResult spfVerdict(std::string_view domain, const dns::Address& ip, const spf::SpfResult& r);

CheckResult ptrVerdict(const auth::ptr::PtrVerdict& v);

CheckResult dnsblVerdict(const dns::Address& ip, const auth::dnsbl::DnsblVerdict& v);

// txt: the answer for <selector>._domainkey.<domain>.
CheckResult dkimVerdict(std::string_view domain, const DkimSelector& selector,
                        const dns::Answer<std::string>& txt);

// spf and dkim: this report's SPF verdicts (one per IP, in ips order) and DKIM verdicts, which
// say whether mail from each IP has an aligned way to pass (RFC 7489 §4.2: SPF or DKIM).
CheckResult dmarcVerdict(std::string_view domain, const dmarc::Discovery& discovery,
                         const std::vector<dns::Address>& ips, const std::vector<CheckResult>& spf,
                         const std::vector<CheckResult>& dkim, const dmarc::PublicSuffixList& psl);

CheckResult mxVerdict(std::string_view domain, const dns::Answer<dns::MxRecord>& mx);
// txt: the answer for _mta-sts.<domain> (RFC 8461 §3.1).
CheckResult mtaStsVerdict(std::string_view domain, const dns::Answer<std::string>& txt);
// txt: the answer for _smtp._tls.<domain> (RFC 8460 §3).
CheckResult tlsRptVerdict(std::string_view domain, const dns::Answer<std::string>& txt);

}  // namespace mailroom::health
