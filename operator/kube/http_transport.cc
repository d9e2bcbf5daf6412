#include "operator/kube/http_transport.h"

#include "lib/common/asio.h"  // before cpprestsdk: Boost 1.74 needs <utility> first

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <boost/asio/ssl.hpp>

#include <mutex>

namespace mailroom::kube {

namespace http = web::http;

struct HttpTransport::Impl {
  KubeConfig config;
  metrics::Registry* registry;
  std::mutex mu;
  pplx::cancellation_token_source cancel;

  http::client::http_client_config clientConfig(std::chrono::seconds timeout) const {
    http::client::http_client_config cfg;
    cfg.set_timeout(timeout);
    cfg.set_validate_certificates(!config.insecureSkipVerify);
    std::string ca = config.caPem, cert = config.clientCertPem, key = config.clientKeyPem;
    cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      // Errors here (a bad PEM) throw boost::system::system_error, caught at the request.
      if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca));
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert));
        ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
      }
    });
    return cfg;
  }

  void count(const std::string& verb, const std::string& code) {
    if (registry)
      registry->inc("mailroom_operator_kube_requests_total", {{"verb", verb}, {"code", code}});
  }

  // The client must outlive the response body (watch streams), so the caller owns it.
  Result<http::http_response> send(http::client::http_client& client, const ApiRequest& req,
                                   const pplx::cancellation_token& tok) {
    auto token = config.bearerToken();
    if (!token) return token.error();
    http::http_request r(req.method);
    r.set_request_uri(req.query.empty() ? req.path : req.path + "?" + req.query);
    r.headers().add("Accept", "application/json");
    r.headers().add("User-Agent", config.userAgent);
    if (!token->empty()) r.headers().add("Authorization", "Bearer " + *token);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
      r.set_body(req.body, req.contentType);
    return client.request(r, tok).get();
  }

  pplx::cancellation_token_source linkedSource() {
    std::lock_guard lock(mu);
    auto token = cancel.get_token();
    return pplx::cancellation_token_source::create_linked_source(token);
  }
};

HttpTransport::HttpTransport(KubeConfig config, metrics::Registry* registry)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->registry = registry;
  if (registry) {
    registry->describe("mailroom_operator_kube_requests_total", "counter",
                       "Kubernetes API requests by verb and HTTP status code");
  }
}

HttpTransport::~HttpTransport() = default;

void HttpTransport::cancel() {
  std::lock_guard lock(impl_->mu);
  impl_->cancel.cancel();
}

Result<ApiResponse> HttpTransport::request(const ApiRequest& req) {
  try {
    http::client::http_client client(impl_->config.server, impl_->clientConfig(req.timeout));
    auto resp = impl_->send(client, req, pplx::cancellation_token::none());
    if (!resp) {
      impl_->count(req.verb, "error");
      return resp.error();
    }
    ApiResponse out{resp->status_code(), resp->extract_utf8string(true).get()};
    impl_->count(req.verb, std::to_string(out.code));
    return out;
  } catch (const std::exception& e) {
    impl_->count(req.verb, "error");
    return Error::temporary(req.method + " " + req.path + ": " + e.what());
  }
}

Result<ApiResponse> HttpTransport::stream(const ApiRequest& req,
                                          const std::function<bool(const std::string&)>& onLine) {
  http::client::http_client client(impl_->config.server, impl_->clientConfig(req.timeout));
  auto source = impl_->linkedSource();
  try {
    auto resp = impl_->send(client, req, source.get_token());
    if (!resp) {
      impl_->count(req.verb, "error");
      return resp.error();
    }
    ApiResponse out{resp->status_code(), {}};
    impl_->count(req.verb, std::to_string(out.code));
    if (!out.ok()) {
      out.body = resp->extract_utf8string(true).get();
      return out;
    }
    // The body arrives as it is produced (chunked); the client timeout bounds each wait.
    auto body = resp->body();
    while (true) {
      concurrency::streams::container_buffer<std::string> line;
      size_t n = body.read_line(line).get();
      if (n == 0 && body.is_eof()) break;
      if (!onLine(line.collection())) break;
    }
    source.cancel();  // ends a stream we stopped reading before the server did
    return out;
  } catch (const std::exception& e) {
    source.cancel();
    impl_->count(req.verb, "error");
    return Error::temporary(req.method + " " + req.path + ": " + e.what());
  }
}

}  // namespace mailroom::kube
