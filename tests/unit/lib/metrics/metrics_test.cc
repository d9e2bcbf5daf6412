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

}  // namespace
}  // namespace mailroom::metrics
