// A small HTTP client interface for provider APIs, so that providers are tested against a fake
// (tests/mocks/fake_http_client.h) and only cpprest_http_client.cc touches cpprestsdk. A
// response that never came is kept apart from an HTTP error: timeouts and connection failures
// are transport outcomes, not status codes.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mailroom::dnspub {

struct HttpRequest {
  std::string method;  // "GET", "PATCH", ...
  std::string path;    // below the client's base URL, with any query
  std::vector<std::pair<std::string, std::string>> headers;  // an Accept here replaces the default
  std::string body;
  std::string contentType;  // with a body
};

struct HttpResponse {
  enum class Transport { kOk, kTimeout, kFailed };
  Transport transport = Transport::kOk;
  std::string transportError;  // why, when transport != kOk
  int status = 0;
  std::string body;
  std::string retryAfter;   // the Retry-After header, "" if absent
  std::string contentType;  // the Content-Type header as sent, "" if absent
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // "http://198.51.100.53:8081", for messages.
  virtual std::string baseUrl() const = 0;
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

}  // namespace mailroom::dnspub
