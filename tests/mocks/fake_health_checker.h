// The HealthChecker edge for controller tests: answers every request with a report built by a
// function the test sets (or an error), and records the requests.
#pragma once

#include <functional>
#include <vector>

#include "operator/controllers/health_checker.h"

namespace mailroom::testing {

class FakeHealthChecker : public controllers::HealthChecker {
 public:
  Result<health::HealthReport> check(health::HealthRequest request) override {
    requests.push_back(request);
    if (fail) return Error::temporary("resolver down");
    health::HealthReport r{request.domain, request.now, {}};
    if (answer) r.checks = answer(request);
    return r;
  }
  // Default: every IP passes SPF and PTR, DMARC passes, each selector passes.
  std::function<std::vector<health::CheckResult>(const health::HealthRequest&)> answer =
      [](const health::HealthRequest& req) {
        std::vector<health::CheckResult> out;
        for (const auto& ip : req.ips)
          out.push_back({"spf", ip.to_string(), health::Status::kPass, "pass", "authorized"});
        for (const auto& ip : req.ips)
          out.push_back({"ptr", ip.to_string(), health::Status::kPass, "pass", "ok"});
        for (const auto& s : req.selectors)
          out.push_back({"dkim", s.selector, health::Status::kPass, "pass", "published"});
        out.push_back({"dmarc", req.domain, health::Status::kPass, "present", "p=none"});
        return out;
      };
  bool fail = false;
  std::vector<health::HealthRequest> requests;
};

}  // namespace mailroom::testing
