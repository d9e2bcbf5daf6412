// The DNS records a MailDomain wants, as a pure function of its spec: SPF (RFC 7208 §4-§5:
// "v=spf1 ip4:.. ip6:.. include:.. ~all"), one DKIM key record per selector (RFC 6376 §3.6.1,
// RFC 8463 §4) and DMARC (RFC 7489 §6.3, rendered by lib/auth/dmarc). TXT values are the
// logical strings, one entry per resource record, as status.records shows them; splitting into
// 255-octet character-strings is the provider's or the zone file's business
// (formatRecordsText renders the zone-file presentation form).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/maildomain.h"

namespace mailroom::controllers {

struct DnsRecord {
  std::string name;  // owner name without the trailing dot
  std::string type;  // "TXT"
  std::vector<std::string> values;
  std::string purpose;   // "SPF", "DKIM", "DMARC" (the CRD's enum)
  bool pending = false;  // not publishable yet (DKIM key not generated)
  bool operator==(const DnsRecord&) const = default;
};

// One key the operator holds (operator/dkimkeys) and the TXT value to publish at its selector
// ("v=DKIM1; k=ed25519; p=..." or "v=DKIM1; p=" once revoked). A configured selector has several
// while one rotates; a configured selector without any gets a pending record.
struct DkimKeyRecord {
  std::string configuredSelector;  // the spec.dkim.selectors[] entry it was made for
  std::string selector;            // the name it is published under
  std::string value;
  bool operator==(const DkimKeyRecord&) const = default;
};
using DkimRecords = std::vector<DkimKeyRecord>;

// transportAddresses: the source addresses of the Transports the MailDomain references; SPF
// authorizes them as it does sendingIPs.
std::string renderSpf(const api::MailDomainSpec& spec,
                      const std::vector<std::string>& transportAddresses = {});
std::string renderDmarc(const api::DmarcSpec& dmarc);
std::vector<DnsRecord> desiredRecords(const api::MailDomainSpec& spec, const DkimRecords& dkim = {},
                                      const std::vector<std::string>& transportAddresses = {});

// One line per record: "NAME TYPE PURPOSE VALUE" (pending records say so), for golden files and
// mailroomctl plan's table.
std::string formatRecordsText(const std::vector<DnsRecord>& records);
// [{"name":..,"type":..,"values":[..],"purpose":..,"pending":..}] for mailroomctl --output json.
std::string formatRecordsJson(const std::vector<DnsRecord>& records);

}  // namespace mailroom::controllers
