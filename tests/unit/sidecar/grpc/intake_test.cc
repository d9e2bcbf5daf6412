// Intake over a real spool in a temporary directory: what is composed, signed (and on which
// thread), spooled and acknowledged; what is refused and that it queues nothing.
#include "sidecar/grpc/intake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/unit/sidecar/spool/temp_dir.h"

namespace mailroom::grpcapi {
namespace {

using spool::testing::TempDir;

const char kRaw[] =
    "From: App <app@example.com>\r\nTo: user@example.net\r\nSubject: hi\r\n\r\nhello\r\n";

struct Fixture {
  TempDir tmp;
  std::unique_ptr<spool::Spool> spool;
  metrics::Registry metrics;
  std::shared_ptr<sidecarconfig::SidecarConfig> config =
      std::make_shared<sidecarconfig::SidecarConfig>();
  std::mutex mu;
  std::vector<std::string> handedToDelivery;
  std::atomic<int> signCalls{0}, offloads{0};
  std::optional<Result<Signature>> signResult;  // default: unsigned
  std::string keyedDomain;                      // the domain `signs` says has a key
  std::unique_ptr<Intake> intake;

  Fixture() {
    spool = std::move(spool::Spool::open({.dir = tmp.path()}).value());
    config->hostname = "relay.example.com";
    intake = std::make_unique<Intake>(Intake::Deps{
        .spool = *spool,
        .metrics = metrics,
        .config = [this] { return std::shared_ptr<const sidecarconfig::SidecarConfig>(config); },
        .accepted =
            [this](const std::string& id) {
              std::lock_guard lock(mu);
              handedToDelivery.push_back(id);
            },
        .sign = [this](const std::string&, const std::string&) -> Result<Signature> {
          ++signCalls;
          if (signResult) return *signResult;
          return Signature{"", "unsigned: no key for the From domain"};
        },
        .signs = [this](const std::string& fromDomain) { return keyedDomain == fromDomain; },
        .offload =
            [this](std::function<void()> fn) {
              ++offloads;
              std::thread(std::move(fn)).detach();
            }});
  }
  ~Fixture() { intake.reset(); }
};

v1::SendRequest raw(std::string bytes = kRaw) {
  v1::SendRequest r;
  r.set_raw(std::move(bytes));
  return r;
}

TEST(IntakeTest, AcknowledgesOnlyDurableMessagesAndHandsThemToDelivery) {
  Fixture f;
  auto response = f.intake->send(raw());
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_FALSE(response->duplicate());
  ASSERT_EQ(response->recipients_size(), 1);
  EXPECT_EQ(response->recipients(0), "user@example.net");
  EXPECT_FALSE(response->message_id().empty());
  // Durable and readable, with the Date and Message-ID the sidecar added.
  auto stored = f.spool->readMessage(response->id());
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->find("Message-ID: " + response->message_id()), std::string::npos);
  EXPECT_TRUE(stored->starts_with("Date: ")) << *stored;
  EXPECT_EQ(f.handedToDelivery, std::vector<std::string>{response->id()});
  EXPECT_EQ(f.metrics.value("mailroom_accepted_total"), 1);
  // No key for example.com: asked (for the status note) on the caller's thread.
  EXPECT_EQ(f.signCalls.load(), 1);
  EXPECT_EQ(f.offloads.load(), 0);
  EXPECT_EQ(f.spool->find(response->id())->notes.at("dkim"),
            "unsigned: no key for the From domain");
}

TEST(IntakeTest, SigningForADomainWithAKeyIsOffloadedAndPrepended) {
  Fixture f;
  f.keyedDomain = "example.com";
  f.signResult = Signature{"DKIM-Signature: v=1; d=example.com\r\n", "signed: d=example.com s=s1"};
  auto response = f.intake->send(raw());
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(f.offloads.load(), 1);
  auto stored = f.spool->readMessage(response->id()).value();
  EXPECT_TRUE(stored.starts_with("DKIM-Signature: v=1; d=example.com\r\nDate: ")) << stored;
  EXPECT_EQ(f.spool->find(response->id())->size, stored.size());
}

TEST(IntakeTest, InvalidInputIsRefusedAtOnceAndQueuesNothing) {
  Fixture f;
  struct Case {
    v1::SendRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({v1::SendRequest(), "content"});
  cases.push_back({raw("From: app@example.com\r\nSubject: x\r\n\r\nno recipients\r\n"), ""});
  v1::SendRequest injected;
  injected.mutable_structured()->set_from("app@example.com");
  injected.mutable_structured()->add_to("user@example.net");
  injected.mutable_structured()->set_subject("hi\r\nBcc: victim@example.org");
  cases.push_back({injected, "subject"});
  for (const auto& c : cases) {
    std::optional<Result<v1::SendResponse>> result;
    f.intake->sendAsync(c.request, [&](Result<v1::SendResponse> r) { result = std::move(r); });
    ASSERT_TRUE(result.has_value());  // answered before sendAsync returned
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(result->error().message.find(c.field), std::string::npos) << result->error().message;
  }
  EXPECT_EQ(f.spool->stats().operations, 0u);
  EXPECT_TRUE(f.handedToDelivery.empty());
  EXPECT_EQ(f.metrics.value("mailroom_rejected_total", {{"reason", "invalid"}}), 3);
}

TEST(IntakeTest, RequiredSigningThatFailsQueuesNothing) {
  Fixture f;
  f.signResult = Error::permanent("dkim.required: no key for example.com");
  auto response = f.intake->send(raw());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(f.spool->stats().operations, 0u);
  EXPECT_EQ(f.metrics.value("mailroom_rejected_total", {{"reason", "unsigned"}}), 1);
}

TEST(IntakeTest, IdempotencyKeyReturnsTheFirstResult) {
  Fixture f;
  auto request = raw();
  request.set_idempotency_key("order-42");
  auto first = f.intake->send(request).value();
  auto second = f.intake->send(request).value();
  EXPECT_EQ(second.id(), first.id());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(f.spool->stats().operations, 1u);
  EXPECT_EQ(f.handedToDelivery.size(), 1u);
}

TEST(IntakeTest, ConcurrentSendsAllComplete) {
  Fixture f;
  constexpr int kSends = 200;
  std::atomic<int> ok{0}, calls{0};
  std::promise<void> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kSends / 4; ++i)
        f.intake->sendAsync(raw(), [&](Result<v1::SendResponse> r) {
          if (r.ok()) ++ok;
          if (++calls == kSends) all.set_value();
        });
    });
  for (auto& t : threads) t.join();
  all.get_future().wait();
  EXPECT_EQ(ok.load(), kSends);
  EXPECT_EQ(f.spool->queueDepth(), static_cast<size_t>(kSends));
  EXPECT_LT(f.spool->stats().commits, static_cast<uint64_t>(kSends));  // shared flushes
}

}  // namespace
}  // namespace mailroom::grpcapi
