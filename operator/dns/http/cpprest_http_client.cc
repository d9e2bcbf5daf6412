#include "operator/dns/http/cpprest_http_client.h"

#include "lib/common/asio.h"  // before cpprestsdk: Boost 1.74 needs <utility> first

#include <cpprest/http_client.h>
#include <boost/asio/ssl.hpp>

namespace mailroom::dnspub {

namespace http = web::http;

HttpResponse CpprestHttpClient::send(const HttpRequest& request) {
  HttpResponse out;
  try {
    http::client::http_client_config cfg;
    cfg.set_timeout(config_.timeout);
    if (!config_.caPem.empty()) {
      std::string ca = config_.caPem;
      cfg.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) {
        ctx.add_certificate_authority(boost::asio::buffer(ca));
      });
    }
    http::client::http_client client(config_.baseUrl, cfg);
    http::http_request r(request.method);
    r.set_request_uri(request.path);
    r.headers().add("Accept", "application/json");
    for (const auto& [name, value] : request.headers) {
      if (name == "Accept") r.headers().remove(name);  // a protocol's own media type, exactly
      r.headers().add(name, value);
    }
    if (!request.body.empty()) r.set_body(request.body, request.contentType);
    auto resp = client.request(r).get();
    out.status = resp.status_code();
    out.body = resp.extract_utf8string(true).get();
    if (auto it = resp.headers().find("Retry-After"); it != resp.headers().end())
      out.retryAfter = it->second;
    if (auto it = resp.headers().find("Content-Type"); it != resp.headers().end())
      out.contentType = it->second;
  } catch (const http::http_exception& e) {
    bool timedOut = e.error_code() == std::errc::timed_out;
    out.transport = timedOut ? HttpResponse::Transport::kTimeout : HttpResponse::Transport::kFailed;
    out.transportError = e.what();
  } catch (const std::exception& e) {
    out.transport = HttpResponse::Transport::kFailed;
    out.transportError = e.what();
  }
  return out;
}

}  // namespace mailroom::dnspub
