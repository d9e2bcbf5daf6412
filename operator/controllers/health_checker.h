// The DNS edge of the MailDomain health checks: runs lib/auth/health's checkDomain on a c-ares
// resolver (the operator's io_context thread) and waits for it from a reconcile worker, with a
// deadline. Tests use tests/mocks/fake_health_checker.h instead.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lib/auth/health/health.h"
#include "lib/common/asio.h"
#include "lib/common/result.h"
#include "lib/dns/cares_resolver.h"

namespace mailroom::controllers {

class HealthChecker {
 public:
  virtual ~HealthChecker() = default;
  // A temporary error when the checks could not run at all (each check that could not be
  // made is already an "unknown" verdict inside the report).
  virtual Result<health::HealthReport> check(health::HealthRequest request) = 0;
};

class CaresHealthChecker : public HealthChecker {
 public:
  // servers: "ip" / "ip:port" / "[v6]:port"; empty: /etc/resolv.conf (the cluster's resolver).
  static Result<std::unique_ptr<CaresHealthChecker>> create(asio::any_io_executor executor,
                                                            std::vector<std::string> servers,
                                                            std::chrono::seconds deadline);
  Result<health::HealthReport> check(health::HealthRequest request) override;

 private:
  CaresHealthChecker(asio::any_io_executor executor, std::unique_ptr<dns::CaresResolver> resolver,
                     std::chrono::seconds deadline)
      : executor_(std::move(executor)), resolver_(std::move(resolver)), deadline_(deadline) {}
  asio::any_io_executor executor_;
  std::unique_ptr<dns::CaresResolver> resolver_;
  std::chrono::seconds deadline_;
};

}  // namespace mailroom::controllers
