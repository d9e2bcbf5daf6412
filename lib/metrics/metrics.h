// Prometheus metrics (text exposition format 0.0.4) and the small HTTP endpoint that serves
// them with /healthz and /readyz. Thread-safe: counters are updated from delivery coroutines,
// gRPC threads and the spool at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/common/asio.h"
#include "lib/common/result.h"

namespace mailroom::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Counter: monotonically increasing, per label set.
  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  // Gauge: set to a value, or computed when scraped.
  void set(const std::string& name, const Labels& labels, double value);
  void gaugeFn(const std::string& name, std::function<double()> fn);
  // Histogram with fixed buckets (seconds).
  void observe(const std::string& name, const Labels& labels, double value);

  // Gauge whose only series is this label set (an info metric whose labels change: the old
  // series goes away instead of lingering at its last value).
  void setOnly(const std::string& name, const Labels& labels, double value);

  void describe(const std::string& name, const std::string& type, const std::string& help);
  std::string render() const;
  double value(const std::string& name, const Labels& labels = {}) const;  // tests

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket (cumulative when rendered)
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string type = "counter";
    std::string help;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
    std::function<double()> fn;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Buckets for latency histograms: 5 ms .. 10 min.
const std::vector<double>& latencyBuckets();

// What /healthz and /readyz answer, decided by the program.
struct Probes {
  // /readyz: "" when ready (200), else why not (503 with the reason in the body).
  std::function<std::string()> notReadyReason;
  // A line appended to both probes' bodies (e.g. the config generation in force).
  std::function<std::string()> detail;
};

// Serves GET /metrics, /healthz, /readyz on one listen address ("127.0.0.1:9587", port 0 picks
// one) and nothing else (404; other methods 405): the sidecar may expose this listener on the pod
// IP for kubelet probes and Prometheus. Runs on the given executor.
class HttpEndpoint {
 public:
  static Result<std::unique_ptr<HttpEndpoint>> start(asio::any_io_executor ex,
                                                     const std::string& listen, Registry& registry,
                                                     Probes probes);
  // ready() decides /readyz (no reason given).
  static Result<std::unique_ptr<HttpEndpoint>> start(asio::any_io_executor ex,
                                                     const std::string& listen, Registry& registry,
                                                     std::function<bool()> ready);
  uint16_t port() const { return port_; }
  void stop();

 private:
  HttpEndpoint(asio::ip::tcp::acceptor acceptor, Registry& registry, Probes probes);
  Task<void> acceptLoop();
  Task<void> serve(asio::ip::tcp::socket socket);

  asio::ip::tcp::acceptor acceptor_;
  Registry& registry_;
  Probes probes_;
  uint16_t port_ = 0;
};

// Splits "host:port" / "[v6]:port" into an endpoint (no name resolution).
Result<asio::ip::tcp::endpoint> parseEndpoint(const std::string& listen);

}  // namespace mailroom::metrics
