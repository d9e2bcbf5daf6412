#include "lib/metrics/metrics.h"

#include <cmath>
#include <sstream>

namespace mailroom::metrics {
namespace {

std::string renderLabels(const Labels& labels, const std::string& extraKey = "",
                         const std::string& extraValue = "") {
  if (labels.empty() && extraKey.empty()) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::string& k, const std::string& v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (!extraKey.empty()) add(extraKey, extraValue);
  return out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return " OK";
    case 404:
      return " Not Found";
    case 405:
      return " Method Not Allowed";
    case 503:
      return " Service Unavailable";
    default:
      return " Error";
  }
}

}  // namespace

const std::vector<double>& latencyBuckets() {
  static const std::vector<double> b{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                     2.5,   5,    10,    30,   60,  120,  300, 600};
  return b;
}

void Registry::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void Registry::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  families_[name].values[labels] += by;
}

void Registry::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = "gauge";
  f.values[labels] = value;
}

void Registry::setOnly(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = "gauge";
  f.values.clear();
  f.values[labels] = value;
}

void Registry::gaugeFn(const std::string& name, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = "gauge";
  f.fn = std::move(fn);
}

void Registry::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = "histogram";
  auto& h = f.histograms[labels];
  const auto& buckets = latencyBuckets();
  if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
  for (size_t i = 0; i < buckets.size(); ++i)
    if (value <= buckets[i]) h.counts[i] += 1;
  h.sum += value;
  h.count += 1;
}

double Registry::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  if (it->second.fn) return it->second.fn();
  auto v = it->second.values.find(labels);
  return v == it->second.values.end() ? 0 : v->second;
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    if (f.fn) out += name + " " + number(f.fn()) + "\n";
    for (const auto& [labels, v] : f.values)
      out += name + renderLabels(labels) + " " + number(v) + "\n";
    const auto& buckets = latencyBuckets();
    for (const auto& [labels, h] : f.histograms) {
      for (size_t i = 0; i < buckets.size(); ++i)
        out += name + "_bucket" + renderLabels(labels, "le", number(buckets[i])) + " " +
               number(h.counts[i]) + "\n";
      out += name + "_bucket" + renderLabels(labels, "le", "+Inf") + " " + number(h.count) + "\n";
      out += name + "_sum" + renderLabels(labels) + " " + number(h.sum) + "\n";
      out += name + "_count" + renderLabels(labels) + " " + number(h.count) + "\n";
    }
  }
  return out;
}

Result<asio::ip::tcp::endpoint> parseEndpoint(const std::string& listen) {
  std::string host, port;
  if (listen.starts_with("[")) {
    auto close = listen.find("]:");
    if (close == std::string::npos) return Error::invalidArgument("bad address: " + listen);
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return Error::invalidArgument("bad address: " + listen);
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error::invalidArgument("bad address: " + listen);
  int p = 0;
  try {
    p = std::stoi(port);
  } catch (...) {
    return Error::invalidArgument("bad port: " + listen);
  }
  if (p < 0 || p > 65535) return Error::invalidArgument("bad port: " + listen);
  return asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(p));
}

HttpEndpoint::HttpEndpoint(asio::ip::tcp::acceptor acceptor, Registry& registry, Probes probes)
    : acceptor_(std::move(acceptor)), registry_(registry), probes_(std::move(probes)) {
  port_ = acceptor_.local_endpoint().port();
}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(asio::any_io_executor ex,
                                                          const std::string& listen,
                                                          Registry& registry,
                                                          std::function<bool()> ready) {
  Probes probes;
  if (ready)
    probes.notReadyReason = [ready = std::move(ready)] {
      return ready() ? std::string() : std::string("not ready");
    };
  return start(std::move(ex), listen, registry, std::move(probes));
}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(asio::any_io_executor ex,
                                                          const std::string& listen,
                                                          Registry& registry, Probes probes) {
  auto ep = parseEndpoint(listen);
  if (!ep.ok()) return ep.error();
  asio::ip::tcp::acceptor acceptor(ex);
  boost::system::error_code ec;
  acceptor.open(ep->protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*ep, ec);
  if (!ec) acceptor.listen(64, ec);
  if (ec) return Error::internal("metrics listen " + listen + ": " + ec.message());
  std::unique_ptr<HttpEndpoint> h(
      new HttpEndpoint(std::move(acceptor), registry, std::move(probes)));
  asio::co_spawn(ex, h->acceptLoop(), asio::detached);
  return h;
}

void HttpEndpoint::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

Task<void> HttpEndpoint::acceptLoop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // closed
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

Task<void> HttpEndpoint::serve(asio::ip::tcp::socket socket) {
  std::string request;
  boost::system::error_code ec;
  // Requests are tiny; read up to the end of the headers (8 KiB at most).
  co_await asio::async_read_until(socket, asio::dynamic_buffer(request, 8192), "\r\n\r\n",
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  const auto method = request.substr(0, request.find(' '));
  const auto pathStart = method.size() + 1;
  const std::string path = request.substr(pathStart, request.find(' ', pathStart) - pathStart);
  const std::string detail = probes_.detail ? probes_.detail() + "\n" : "";
  int status = 200;
  std::string body, type = "text/plain; charset=utf-8";
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    status = 404;
    body = "not found\n";
  } else if (method != "GET") {
    status = 405;
    body = "method not allowed\n";
  } else if (path == "/metrics") {
    body = registry_.render();
    type = "text/plain; version=0.0.4; charset=utf-8";
  } else if (path == "/healthz") {
    body = "ok\n" + detail;
  } else {
    const std::string reason = probes_.notReadyReason ? probes_.notReadyReason() : "";
    status = reason.empty() ? 200 : 503;
    body = (reason.empty() ? "ok" : reason) + "\n" + detail;
  }
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + reasonPhrase(status) + "\r\nContent-Type: " + type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  co_await asio::async_write(socket, asio::buffer(response),
                             asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

}  // namespace mailroom::metrics
