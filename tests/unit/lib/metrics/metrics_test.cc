#include <gtest/gtest.h>

#include "lib/metrics/metrics.h"

namespace mailroom::metrics {
namespace {

TEST(Registry, RendersCountersGaugesHistograms) {
  Registry r;
  r.describe("mailroom_delivered_total", "counter", "Recipients delivered.");
  r.inc("mailroom_delivered_total", {{"domain", "example.net"}, {"family", "ipv4"}});
  r.inc("mailroom_delivered_total", {{"domain", "example.net"}, {"family", "ipv4"}});
  r.gaugeFn("mailroom_queue_depth", [] { return 7.0; });
  r.observe("mailroom_delivery_seconds", {}, 0.02);
  auto text = r.render();
  EXPECT_NE(text.find("# TYPE mailroom_delivered_total counter"), std::string::npos);
  EXPECT_NE(text.find("mailroom_delivered_total{domain=\"example.net\",family=\"ipv4\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("mailroom_queue_depth 7"), std::string::npos);
  EXPECT_NE(text.find("mailroom_delivery_seconds_bucket{le=\"0.01\"} 0"), std::string::npos);
  EXPECT_NE(text.find("mailroom_delivery_seconds_bucket{le=\"0.025\"} 1"), std::string::npos);
  EXPECT_NE(text.find("mailroom_delivery_seconds_count 1"), std::string::npos);
}

TEST(HttpEndpoint, ServesMetricsAndProbesOnLoopback) {
  asio::io_context io;
  Registry r;
  r.inc("x_total");
  bool ready = false;
  auto ep = HttpEndpoint::start(io.get_executor(), "127.0.0.1:0", r, [&] { return ready; });
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  auto get = [&](const std::string& path) {
    std::string response;
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          asio::ip::tcp::socket s(io);
          co_await s.async_connect({asio::ip::make_address("127.0.0.1"), (*ep)->port()},
                                   asio::use_awaitable);
          std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
          co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
          boost::system::error_code ec;
          co_await asio::async_read(s, asio::dynamic_buffer(response),
                                    asio::redirect_error(asio::use_awaitable, ec));
        },
        asio::detached);
    io.restart();
    while (response.empty() || response.find("\r\n\r\n") == std::string::npos) io.run_one();
    io.poll();
    return response;
  };
  EXPECT_NE(get("/metrics").find("x_total 1"), std::string::npos);
  EXPECT_NE(get("/readyz").find("503"), std::string::npos);
  ready = true;
  EXPECT_NE(get("/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(get("/nope").find("404"), std::string::npos);
  (*ep)->stop();
}

// One HTTP exchange with the endpoint, run on `io` until the answer is complete.
std::string exchange(asio::io_context& io, uint16_t port, const std::string& request) {
  std::string response;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        asio::ip::tcp::socket s(io);
        co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
        co_await asio::async_write(s, asio::buffer(request), asio::use_awaitable);
        boost::system::error_code ec;
        co_await asio::async_read(s, asio::dynamic_buffer(response),
                                  asio::redirect_error(asio::use_awaitable, ec));
        done = true;
      },
      asio::detached);
  io.restart();
  while (!done) io.run_one();
  return response;
}

TEST(HttpEndpoint, ProbesSayWhyNotReadyAndWhichConfigRuns) {
  asio::io_context io;
  Registry r;
  std::string reason = "spool cannot accept: 0 bytes free";
  auto ep = HttpEndpoint::start(io.get_executor(), "127.0.0.1:0", r,
                                Probes{.notReadyReason = [&] { return reason; },
                                       .detail = [] { return "config generation 3 (ab12)"; }});
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  const uint16_t port = (*ep)->port();
  auto get = [&](const std::string& path) {
    return exchange(io, port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  };
  auto ready = get("/readyz");
  EXPECT_TRUE(ready.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << ready;
  EXPECT_TRUE(
      ready.ends_with("\r\n\r\nspool cannot accept: 0 bytes free\nconfig generation 3 (ab12)\n"))
      << ready;
  reason.clear();
  EXPECT_TRUE(get("/readyz").ends_with("\r\n\r\nok\nconfig generation 3 (ab12)\n"));
  auto health = get("/healthz");
  EXPECT_TRUE(health.starts_with("HTTP/1.1 200 OK\r\n")) << health;
  EXPECT_TRUE(health.ends_with("\r\n\r\nok\nconfig generation 3 (ab12)\n")) << health;
  // Nothing else is served there: other paths 404, other methods 405.
  EXPECT_TRUE(get("/").starts_with("HTTP/1.1 404 ")) << get("/");
  EXPECT_TRUE(get("/metrics/../debug").starts_with("HTTP/1.1 404 "));
  auto post = exchange(io, port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405 ")) << post;
  (*ep)->stop();
}

TEST(Registry, SetOnlyReplacesTheInfoSeries) {
  Registry r;
  r.setOnly("mailroom_config_info", {{"hash", "aaaa"}}, 1);
  r.setOnly("mailroom_config_info", {{"hash", "bbbb"}}, 1);
  auto text = r.render();
  EXPECT_NE(text.find("mailroom_config_info{hash=\"bbbb\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("aaaa"), std::string::npos) << text;
}

}  // namespace
}  // namespace mailroom::metrics
