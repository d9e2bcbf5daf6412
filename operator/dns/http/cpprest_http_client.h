// HttpClient over cpprestsdk's http_client (as operator/kube/http_transport.cc uses it): a
// timeout on every request, TLS verified against the system store or a given CA, and
// cpprestsdk's exceptions turned into transport outcomes here.
#pragma once

#include <chrono>
#include <string>

#include "operator/dns/http/http_client.h"

namespace mailroom::dnspub {

struct CpprestHttpClientConfig {
  std::string baseUrl;  // "https://pdns.example.net:8081"
  std::chrono::seconds timeout{10};
  std::string caPem;  // "" = the system's trust store
};

class CpprestHttpClient final : public HttpClient {
 public:
  explicit CpprestHttpClient(CpprestHttpClientConfig config) : config_(std::move(config)) {}
  std::string baseUrl() const override { return config_.baseUrl; }
  HttpResponse send(const HttpRequest& request) override;

 private:
  CpprestHttpClientConfig config_;
};

}  // namespace mailroom::dnspub
