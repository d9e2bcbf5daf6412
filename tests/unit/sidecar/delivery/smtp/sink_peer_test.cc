// The client against a real peer: Postfix's smtp-sink (Debian package postfix), started on
// 127.0.0.1 on a port the kernel just handed out. Checks delivery with dot-stuffing as smtp-sink
// records it (-d dump files), and measures throughput with reused sessions as the sidecar runs
// them (the figure is reported, not asserted: this machine is shared).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sidecar/delivery/smtp/session.h"

namespace mailroom::smtp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr const char* kSink = "/usr/sbin/smtp-sink";

class SinkProcess {
 public:
  ~SinkProcess() { stop(); }
  // Starts smtp-sink on a free loopback port; retries when another process took the port
  // between our probe and smtp-sink's bind. Waits (bounded) until it accepts connections.
  bool start(const std::vector<std::string>& extraArgs, const fs::path& logFile) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      asio::io_context io;
      asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
      port_ = probe.local_endpoint().port();
      probe.close();
      std::vector<std::string> args = {kSink};
      if (geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});  // required as root
      args.insert(args.end(), extraArgs.begin(), extraArgs.end());
      args.push_back("127.0.0.1:" + std::to_string(port_));
      args.push_back("256");
      pid_ = fork();
      if (pid_ == 0) {
        int fd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
          dup2(fd, 1);
          dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(kSink, argv.data());
        _exit(127);
      }
      if (waitReady()) return true;
      stop();
    }
    return false;
  }
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  asio::ip::tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), port_}; }

 private:
  // Readiness probe: connect until it succeeds, the child exits, or 10 s pass.
  bool waitReady() {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    auto backoff = 5ms;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;  // exited: most likely the port was taken
      }
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect(endpoint(), ec);
      if (!ec) return true;
      asio::steady_timer t(io, backoff);
      t.wait();
      backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
    }
    return false;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

class SinkPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kSink, X_OK) != 0) GTEST_SKIP() << kSink << " not found (Debian package postfix)";
    dir_ = fs::temp_directory_path() /
           ("mailroom-smtp-sink-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "dump");
    // smtp-sink drops to nobody before writing dumps.
    fs::permissions(dir_ / "dump", fs::perms::all);
  }
  void TearDown() override {
    sink_.stop();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
  SessionOptions options() {
    SessionOptions o;
    o.ehloHostname = "client.example.org";
    o.serverName = "smtp-sink";
    o.tls = TlsPolicy::kOpportunistic;  // smtp-sink offers no STARTTLS
    return o;
  }

  fs::path dir_;
  SinkProcess sink_;
};

TEST_F(SinkPeerTest, DeliversWithDotStuffing) {
  ASSERT_TRUE(sink_.start({"-d", (dir_ / "dump" / "msg.").string()}, dir_ / "sink.log"))
      << "smtp-sink did not start; see " << dir_ / "sink.log";
  const std::string message =
      "From: a@example.org\r\nTo: b@example.net\r\nSubject: dots\r\n\r\n.\r\n..two\r\n"
      ".leading\r\nlast line";
  TransactionResult res;
  Capabilities caps;
  std::string tls;
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        auto opened =
            co_await Session::open(io.get_executor(), sink_.endpoint(), std::nullopt, options());
        if (auto* e = std::get_if<SessionError>(&opened)) {
          ADD_FAILURE() << e->message;
          co_return;
        }
        auto& s = std::get<0>(opened);
        caps = s->capabilities();
        tls = s->tlsDescription();
        Transaction t;
        t.mailFrom = "a@example.org";
        t.recipients = {"b@example.net", "c@example.net"};
        t.message = message;
        t.eightBit = true;
        res = co_await s->send(t);
        co_await s->quit();
        done = true;
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(done);
  EXPECT_TRUE(caps.esmtp);
  EXPECT_TRUE(caps.pipelining);
  EXPECT_TRUE(caps.eightBitMime);
  EXPECT_EQ(tls, "plaintext: STARTTLS not offered");
  ASSERT_FALSE(res.error.has_value()) << res.error->message;
  ASSERT_EQ(res.recipients.size(), 2u);
  for (const auto& r : res.recipients) {
    EXPECT_TRUE(r.delivered);
    EXPECT_EQ(r.reply.code, 250);
  }

  // smtp-sink handles one connection at a time in order: after the 221 the dump is written.
  std::vector<fs::path> dumps;
  for (const auto& e : fs::directory_iterator(dir_ / "dump")) dumps.push_back(e.path());
  ASSERT_EQ(dumps.size(), 1u);
  std::ifstream in(dumps[0], std::ios::binary);
  std::string dump((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string lf;  // compare with LF line ends, whatever the dump uses
  for (char c : dump) {
    if (c != '\r') lf += c;
  }
  EXPECT_NE(lf.find("X-Mail-Args: <a@example.org> BODY=8BITMIME"), std::string::npos) << lf;
  EXPECT_NE(lf.find("X-Rcpt-Args: <b@example.net>\nX-Rcpt-Args: <c@example.net>"),
            std::string::npos)
      << lf;
  EXPECT_NE(lf.find("Subject: dots\n\n.\n..two\n.leading\nlast line\n"), std::string::npos) << lf;
}

TEST_F(SinkPeerTest, ThroughputWithReusedSessions) {
  ASSERT_TRUE(sink_.start({}, dir_ / "sink.log")) << "smtp-sink did not start";
  constexpr int kSessions = 20;
  constexpr int kPerSession = 150;
  std::string message = "From: a@example.org\r\nTo: b@example.net\r\nSubject: load\r\n\r\n";
  while (message.size() < 4096) message += std::string(76, 'x') + "\r\n";

  asio::io_context io;
  int delivered = 0, failed = 0, opened = 0;
  std::string firstError;
  auto worker = [&]() -> Task<void> {
    auto r = co_await Session::open(io.get_executor(), sink_.endpoint(), std::nullopt, options());
    if (auto* e = std::get_if<SessionError>(&r)) {
      ++failed;
      if (firstError.empty()) firstError = e->message;
      co_return;
    }
    ++opened;
    auto& s = std::get<0>(r);
    Transaction t;
    t.mailFrom = "a@example.org";
    t.recipients = {"b@example.net"};
    t.message = message;
    for (int i = 0; i < kPerSession; ++i) {
      auto res = co_await s->send(t);
      if (res.recipients.at(0).delivered) {
        ++delivered;
      } else {
        ++failed;
        if (firstError.empty()) firstError = res.recipients[0].reply.text();
      }
    }
    co_await s->quit();
  };
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kSessions; ++i) asio::co_spawn(io, worker(), asio::detached);
  io.run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(opened, kSessions);
  EXPECT_EQ(failed, 0) << firstError;
  EXPECT_EQ(delivered, kSessions * kPerSession);
  const double rate = delivered / seconds;
  RecordProperty("messages_per_second", std::to_string(static_cast<int>(rate)));
  std::printf("smtp-sink: %d messages of %zu bytes over %d sessions in %.3f s = %.0f msg/s\n",
              delivered, message.size(), kSessions, seconds, rate);
}

}  // namespace
}  // namespace mailroom::smtp
