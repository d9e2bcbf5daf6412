// A scripted HttpClient (operator/dns/http/http_client.h) for provider tests: every request is
// recorded and answered by a handler the test supplies (a fake API, or canned failures).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "operator/dns/http/http_client.h"

namespace mailroom::testing {

class FakeHttpClient final : public dnspub::HttpClient {
 public:
  using Handler = std::function<dnspub::HttpResponse(const dnspub::HttpRequest&)>;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}

  std::string baseUrl() const override { return "http://pdns.test:8081"; }
  dnspub::HttpResponse send(const dnspub::HttpRequest& request) override {
    requests_.push_back(request);
    return handler_(request);
  }

  void setHandler(Handler handler) { handler_ = std::move(handler); }
  const std::vector<dnspub::HttpRequest>& requests() const { return requests_; }
  int count(const std::string& method) const {
    int n = 0;
    for (const auto& r : requests_) n += r.method == method ? 1 : 0;
    return n;
  }

 private:
  Handler handler_;
  std::vector<dnspub::HttpRequest> requests_;
};

}  // namespace mailroom::testing
