#include "operator/controllers/health_checker.h"

#include <future>

namespace mailroom::controllers {

Result<std::unique_ptr<CaresHealthChecker>> CaresHealthChecker::create(
    asio::any_io_executor executor, std::vector<std::string> servers,
    std::chrono::seconds deadline) {
  dns::CaresOptions options;
  options.servers = std::move(servers);
  options.tries = 2;
  auto resolver = dns::CaresResolver::create(executor, options);
  if (!resolver) return resolver.error();
  return std::unique_ptr<CaresHealthChecker>(
      new CaresHealthChecker(std::move(executor), std::move(resolver).value(), deadline));
}

Result<health::HealthReport> CaresHealthChecker::check(health::HealthRequest request) {
  auto done = std::make_shared<std::promise<health::HealthReport>>();
  auto result = done->get_future();
  asio::co_spawn(executor_, health::checkDomain(*resolver_, std::move(request)),
                 [done](std::exception_ptr e, health::HealthReport r) {
                   if (e)
                     done->set_exception(e);
                   else
                     done->set_value(std::move(r));
                 });
  if (result.wait_for(deadline_) != std::future_status::ready)
    return Error::temporary("health checks did not finish within " +
                            std::to_string(deadline_.count()) + " s");
  try {
    return result.get();
  } catch (const std::exception& e) {
    return Error::internal(std::string("health checks failed: ") + e.what());
  }
}

}  // namespace mailroom::controllers
