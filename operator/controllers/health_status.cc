#include "operator/controllers/health_status.h"

#include <algorithm>
#include <set>

namespace mailroom::controllers {
namespace {

using health::Status;

const char* columnOf(Status s) {
  switch (s) {
    case Status::kPass:
    case Status::kWarn:
      return "Pass";
    case Status::kFail:
      return "Fail";
    case Status::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

// Worst first: fail > unknown > warn > pass.
int rank(Status s) {
  switch (s) {
    case Status::kFail:
      return 3;
    case Status::kUnknown:
      return 2;
    case Status::kWarn:
      return 1;
    case Status::kPass:
      return 0;
  }
  return 2;
}

std::vector<const health::CheckResult*> checksOf(const health::HealthReport& r, const char* kind) {
  std::vector<const health::CheckResult*> out;
  for (const auto& c : r.checks)
    if (c.check == kind) out.push_back(&c);
  return out;
}

Status worst(const std::vector<const health::CheckResult*>& checks) {
  Status w = Status::kPass;
  for (const auto* c : checks)
    if (rank(c->status) > rank(w)) w = c->status;
  return w;
}

// The reasons of every check at the worst status, joined.
std::string reasonsAt(const std::vector<const health::CheckResult*>& checks, Status at) {
  std::string out;
  for (const auto* c : checks)
    if (c->status == at) out += (out.empty() ? "" : "; ") + c->reason;
  return out;
}

// The Transport an address belongs to, when it sends over both families (so switching it to
// IPv4 is a way out of an IPv6 problem).
std::string dualStackTransportOf(const std::string& ip, const std::vector<api::Transport>& ts) {
  for (const auto& t : ts) {
    if (!t.spec.direct || !t.spec.direct->family.both()) continue;
    const auto& a = t.spec.direct->sourceAddresses;
    if (std::find(a.begin(), a.end(), ip) != a.end()) return t.metadata.name;
  }
  return {};
}

struct ConditionSpec {
  const char* type;
  const char* kind;  // the checks it summarizes
  const char* passReason;
  const char* failReason;
};

const ConditionSpec kConditions[] = {
    {"SPFAuthorized", "spf", "SpfPass", "SpfNotAuthorized"},
    {"PTRValid", "ptr", "PtrValid", "PtrInvalid"},
    {"DKIMPublished", "dkim", "DkimPublished", "DkimNotPublished"},
    {"DMARCPresent", "dmarc", "DmarcPresent", "DmarcMissing"},
    {"NotListed", "dnsbl", "NotListed", "Listed"},
};

}  // namespace

health::HealthRequest healthRequest(const api::MailDomain& md,
                                    const std::vector<api::Transport>& referenced,
                                    const std::vector<health::DkimSelector>& selectors,
                                    const HealthOptions& options,
                                    std::chrono::system_clock::time_point now) {
  health::HealthRequest r;
  r.domain = md.spec.domain;
  std::set<std::string> seen;
  auto add = [&](const std::string& ip) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(ip, ec);
    if (!ec && seen.insert(a.to_string()).second) r.ips.push_back(a);
  };
  for (const auto& ip : md.spec.sendingIPs) add(ip);
  for (const auto& t : referenced) {
    for (const auto& ip : t.spec.sourceAddresses()) add(ip);
    if (r.ehloHostname.empty() && t.spec.direct) r.ehloHostname = t.spec.direct->ehloHostname;
  }
  r.selectors = selectors;
  r.dnsblZones = options.dnsblZones;
  r.now = now;
  return r;
}

void applyHealthPending(api::MailDomainStatus& s, int64_t generation,
                        std::chrono::system_clock::time_point now) {
  for (const auto& c : kConditions)
    kube::setCondition(
        s.conditions,
        {c.type, "Unknown", "NotCheckedYet", "the DNS checks have not run yet", generation, ""},
        now);
  s.spf = s.dkim = s.dmarc = s.ptr = "Pending";
}

void applyHealth(api::MailDomainStatus& s, const health::HealthReport& report,
                 const std::vector<api::Transport>& referenced, int64_t generation,
                 std::chrono::system_clock::time_point now) {
  for (const auto& spec : kConditions) {
    auto checks = checksOf(report, spec.kind);
    std::string status, reason, message;
    Status w = worst(checks);
    if (checks.empty()) {
      bool dkim = std::string(spec.kind) == "dkim";
      status = dkim ? "False" : "True";
      reason = dkim ? "NoSelectors" : "NotConfigured";
      message = dkim ? "no spec.dkim.selectors: receivers such as Gmail and Yahoo require DKIM"
                     : "no blocklist zones configured (--dnsbl-zone)";
    } else if (w == Status::kPass) {
      status = "True";
      reason = spec.passReason;
      message = std::to_string(checks.size()) + " checked, all pass";
    } else if (w == Status::kWarn) {
      status = std::string(spec.kind) == "ptr" ? "False" : "True";
      reason = std::string(spec.kind) == "ptr" ? "PtrNotEhlo" : spec.passReason;
      message = reasonsAt(checks, Status::kWarn);
    } else if (w == Status::kUnknown) {
      status = "Unknown";
      reason = "CouldNotCheck";
      message = reasonsAt(checks, Status::kUnknown);
    } else {
      status = "False";
      reason = spec.failReason;
      message = reasonsAt(checks, Status::kFail);
    }
    if (std::string(spec.kind) == "ptr" && status == "False") {
      for (const auto* c : checks) {
        if (c->status == Status::kPass || c->subject.find(':') == std::string::npos) continue;
        if (auto t = dualStackTransportOf(c->subject, referenced); !t.empty())
          message += "; for Transport " + t + " that means addressFamily: IPv4.";
      }
    }
    kube::setCondition(s.conditions, {spec.type, status, reason, message, generation, ""}, now);
  }
  s.spf = columnOf(worst(checksOf(report, "spf")));
  s.dkim = checksOf(report, "dkim").empty() ? "Fail" : columnOf(worst(checksOf(report, "dkim")));
  s.dmarc = columnOf(worst(checksOf(report, "dmarc")));
  s.ptr =
      columnOf(worst(checksOf(report, "ptr")) == Status::kWarn ? Status::kFail
                                                               : worst(checksOf(report, "ptr")));
  // status.checks: one entry per IP; an unchanged entry keeps its time (no write per re-check).
  std::vector<api::IpCheck> checks;
  for (const auto* spf : checksOf(report, "spf")) {
    api::IpCheck c;
    c.ip = spf->subject;
    c.family = c.ip.find(':') == std::string::npos ? "IPv4" : "IPv6";
    c.spf = spf->code;
    for (const auto* p : checksOf(report, "ptr")) {
      if (p->subject != c.ip) continue;
      c.forwardConfirmed = p->code == "pass" || p->code == "ehloMismatch";
      c.matchesEhlo = p->code == "pass";
    }
    for (const auto* l : checksOf(report, "dnsbl")) {
      if (l->status == Status::kFail && l->subject.rfind(c.ip + " ", 0) == 0)
        c.listed.push_back(l->subject.substr(c.ip.size() + 1));
    }
    c.checkedAt = kube::formatRfc3339(now);
    for (const auto& old : s.checks) {
      api::IpCheck a = old, b = c;
      a.checkedAt = b.checkedAt = "";
      if (a == b) c.checkedAt = old.checkedAt;
    }
    checks.push_back(std::move(c));
  }
  s.checks = std::move(checks);
}

}  // namespace mailroom::controllers
