// Transport over cpprestsdk's http_client (the one place that touches cpprestsdk): TLS verified
// against the kubeconfig's CA (loaded into the boost::asio::ssl::context through
// set_ssl_context_callback), client certificates, a bearer token read per request, a timeout
// on every request, and counts of API requests by verb and HTTP code for /metrics.
// cpprestsdk's exceptions stop here and become temporary errors.
#pragma once

#include <memory>

#include "lib/metrics/metrics.h"
#include "operator/kube/api.h"
#include "operator/kube/config.h"

namespace mailroom::kube {

class HttpTransport final : public Transport {
 public:
  // registry may be null. The metric is mailroom_operator_kube_requests_total{verb,code}
  // (code "error" for transport failures).
  HttpTransport(KubeConfig config, metrics::Registry* registry);
  ~HttpTransport() override;
  Result<ApiResponse> request(const ApiRequest& req) override;
  Result<ApiResponse> stream(const ApiRequest& req,
                             const std::function<bool(const std::string&)>& onLine) override;
  // Ends watch streams in flight and refuses new ones (shutdown); plain requests are bounded by
  // their timeouts and still work (the Lease is released on the way out).
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailroom::kube
