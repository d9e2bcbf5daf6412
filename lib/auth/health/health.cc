#include "lib/auth/health/health.h"

#include <exception>

#include "lib/auth/dmarc/dmarc.h"
#include "lib/auth/dnsbl/dnsbl.h"
#include "lib/auth/health/verdicts.h"
#include "lib/auth/ptr/ptr.h"
#include "lib/auth/spf/check_host.h"

namespace mailroom::health {
namespace {

// Runs coroutines side by side on one executor and waits for all of them: a check against a
// dead DNS server then costs one timeout, not one per lookup. Boost 1.74 has no parallel_group,
// so completion is counted and a timer is cancelled when the count reaches zero. Single-threaded
// (the resolver's executor), so plain counters suffice.
class Join {
 public:
  explicit Join(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}

  // out must outlive wait().
  template <class T>
  void spawn(Task<T> task, std::optional<T>& out) {
    ++pending_;
    asio::co_spawn(timer_.get_executor(), std::move(task),
                   [this, &out](std::exception_ptr e, T value) {
                     if (e) {
                       if (!error_) error_ = e;
                     } else {
                       out = std::move(value);
                     }
                     if (--pending_ == 0) timer_.cancel();
                   });
  }

  Task<void> wait() {
    while (pending_ > 0) {
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  asio::steady_timer timer_;
  int pending_ = 0;
  std::exception_ptr error_;
};

int rank(Status s) {
  switch (s) {
    case Status::kPass:
      return 0;
    case Status::kWarn:
      return 1;
    case Status::kUnknown:
      return 2;
    case Status::kFail:
      return 3;
  }
  return 2;
}

}  // namespace

const char* statusName(Status s) {
  switch (s) {
    case Status::kPass:
      return "pass";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
    case Status::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Status overallStatus(const HealthReport& report) {
  if (report.checks.empty()) return Status::kUnknown;
  Status worst = Status::kPass;
  for (const auto& c : report.checks) {
    if (rank(c.status) > rank(worst)) worst = c.status;
  }
  return worst;
}

int exitCode(const HealthReport& report) {
  switch (overallStatus(report)) {
    case Status::kPass:
    case Status::kWarn:
      return 0;
    case Status::kFail:
      return 1;
    case Status::kUnknown:
      return 2;
  }
  return 2;
}

Task<HealthReport> checkDomain(dns::Resolver& resolver, HealthRequest request) {
  const std::string domain = dns::normalizeName(request.domain);
  auto psl = request.psl ? request.psl : std::make_shared<const dmarc::PublicSuffixList>();
  const int64_t epoch =
      std::chrono::duration_cast<std::chrono::seconds>(request.now.time_since_epoch()).count();

  const size_t n = request.ips.size();
  std::vector<std::optional<spf::SpfResult>> spf(n);
  std::vector<std::optional<auth::ptr::PtrVerdict>> ptr(n);
  std::vector<std::optional<std::vector<auth::dnsbl::DnsblVerdict>>> dnsbl(n);
  std::vector<std::optional<dns::Answer<std::string>>> dkim(request.selectors.size());
  std::optional<dmarc::Discovery> dmarcFound;
  std::optional<dns::Answer<dns::MxRecord>> mx;
  std::optional<dns::Answer<std::string>> mtaSts, tlsRpt;

  Join join(co_await asio::this_coro::executor);
  for (size_t i = 0; i < n; ++i) {
    // The MAIL FROM identity our mail uses: postmaster@<domain> (RFC 7208 §2.4 for the form).
    auto req = spf::mailFromRequest(request.ips[i], "postmaster@" + domain, request.ehloHostname);
    req.timestamp = epoch;
    join.spawn(spf::checkHost(resolver, std::move(req)), spf[i]);
    join.spawn(auth::ptr::checkPtr(resolver, request.ips[i], request.ehloHostname), ptr[i]);
    if (!request.dnsblZones.empty()) {
      join.spawn(auth::dnsbl::checkDnsbl(resolver, request.ips[i], request.dnsblZones), dnsbl[i]);
    }
  }
  for (size_t i = 0; i < request.selectors.size(); ++i) {
    join.spawn(resolver.txt(request.selectors[i].selector + "._domainkey." + domain), dkim[i]);
  }
  join.spawn(dmarc::discoverDmarc(resolver, domain, *psl), dmarcFound);
  join.spawn(resolver.mx(domain), mx);
  join.spawn(resolver.txt("_mta-sts." + domain), mtaSts);
  join.spawn(resolver.txt("_smtp._tls." + domain), tlsRpt);
  co_await join.wait();

  HealthReport report;
  report.domain = domain;
  report.checkedAt = request.now;
  std::vector<CheckResult> spfResults, dkimResults;
  for (size_t i = 0; i < n; ++i) spfResults.push_back(spfVerdict(domain, request.ips[i], *spf[i]));
  for (size_t i = 0; i < request.selectors.size(); ++i) {
    dkimResults.push_back(dkimVerdict(domain, request.selectors[i], *dkim[i]));
  }
  auto& out = report.checks;
  out.insert(out.end(), spfResults.begin(), spfResults.end());
  for (size_t i = 0; i < n; ++i) out.push_back(ptrVerdict(*ptr[i]));
  out.insert(out.end(), dkimResults.begin(), dkimResults.end());
  out.push_back(dmarcVerdict(domain, *dmarcFound, request.ips, spfResults, dkimResults, *psl));
  for (size_t i = 0; i < n; ++i) {
    if (!dnsbl[i]) continue;
    for (const auto& v : *dnsbl[i]) out.push_back(dnsblVerdict(request.ips[i], v));
  }
  out.push_back(mxVerdict(domain, *mx));
  out.push_back(mtaStsVerdict(domain, *mtaSts));
  out.push_back(tlsRptVerdict(domain, *tlsRpt));
  co_return report;
}

}  // namespace mailroom::health
