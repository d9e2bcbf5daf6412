#include "sidecar/delivery/direct_delivery.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <set>

#include "lib/sidecarconfig/parse.h"
#include "sidecar/delivery/classify.h"
#include "sidecar/delivery/target_transactions.h"
#include "sidecar/delivery/targets.h"

namespace mailroom::delivery {
namespace {

// Direct delivery's reading of replies at one target: a reverse-DNS (PTR) rejection over one
// family falls back to the other family at once when the transport allows it, else it is final
// for these recipients.
class DirectVerdicts : public TargetVerdicts {
 public:
  // `learned`: where a PTR rejection is remembered (nullptr: not), for `rememberFor`;
  // `learnedNote`: why this attempt went to the other family first ("" when it did not).
  DirectVerdicts(DestinationAttempt& attempt, const Target& target, AddressFamily family,
                 bool bothFamilies, std::set<AddressFamily>& ptrRejected,
                 const std::function<spool::TimePoint()>& now, LearnedFamilies* learned,
                 std::chrono::seconds rememberFor, const std::string& learnedNote)
      : attempt_(attempt),
        target_(target),
        family_(family),
        bothFamilies_(bothFamilies),
        ptrRejected_(ptrRejected),
        now_(now),
        learned_(learned),
        rememberFor_(rememberFor),
        learnedNote_(learnedNote) {}

  spool::Attempt row(const std::string& sourceIp) override {
    spool::Attempt a;
    a.at = now_();
    a.mxHost = target_.mxHost;
    a.ip = target_.address.to_string();
    a.family = family_;
    a.sourceIp = sourceIp;
    return a;
  }

  void delivered(RecipientTrack& t, const spool::Reply& reply, spool::Attempt a,
                 const smtp::Session& session) override {
    auto& r = attempt_.recipient(t);
    r.state = spool::RecipientState::kDelivered;
    r.lastReply = reply;
    r.mxHost = target_.mxHost;
    r.ip = a.ip;
    r.family = family_;
    r.sourceIp = a.sourceIp;
    std::string how = std::string("delivered over ") + familyName(family_) + " to " +
                      target_.mxHost + " [" + r.ip + "]" + (session.tlsActive() ? " with TLS" : "");
    r.summary = t.ptrNote.empty() ? how : t.ptrNote + "; " + how;
    if (!learnedNote_.empty()) r.summary = learnedNote_ + "; " + r.summary;
    a.outcome = "delivered";
    a.note = session.tlsDescription();
    attempt_.addRow(t, std::move(a));
    t.open = false;
  }

  void permanent(RecipientTrack& t, const spool::Reply& reply, const std::string& sourceIp,
                 spool::Attempt a) override {
    t.lastReply = reply;
    t.lastWasPermanent = true;
    auto cls = classifyReply(reply.code, reply.enhanced, reply.text);
    if (cls == Classification::kReversePtr) {
      ptrRejected_.insert(family_);
      if (learned_ && bothFamilies_ && rememberFor_.count() > 0)
        learned_->learn(attempt_.destination(), family_, now_(), rememberFor_, describe(reply));
      t.ptrNote = std::string("rejected over ") + familyName(family_) + " from " +
                  (sourceIp.empty() ? "?" : sourceIp) + " (" + classificationWords(cls) + ")";
      if (bothFamilies_ && !ptrRejected_.count(otherFamily(family_))) {
        a.outcome = "family-fallback";
        a.note = t.ptrNote + "; retrying over " + familyName(otherFamily(family_));
        attempt_.addRow(t, std::move(a));
        return;  // stays open for a target of the other family
      }
      a.outcome = "bounced";
      a.note = t.ptrNote + (bothFamilies_ ? "; the other family was rejected too"
                                          : "; the transport allows no other family");
      attempt_.addRow(t, a);
      attempt_.bounce(t, reply, a.note + ": " + describe(reply));
      return;
    }
    a.outcome = "bounced";
    attempt_.addRow(t, a);
    attempt_.bounce(t, reply,
                    (t.ptrNote.empty() ? "" : t.ptrNote + "; then ") +
                        std::string("rejected over ") + familyName(family_) + " by " +
                        target_.mxHost + ": " + describe(reply));
  }

  // Our source address over this family has no usable PTR there.
  bool stop() const override { return ptrRejected_.count(family_) > 0; }

 private:
  DestinationAttempt& attempt_;
  const Target& target_;
  AddressFamily family_;
  bool bothFamilies_;
  std::set<AddressFamily>& ptrRejected_;
  const std::function<spool::TimePoint()>& now_;
  LearnedFamilies* learned_;
  std::chrono::seconds rememberFor_;
  const std::string& learnedNote_;
};

std::string isoTime(spool::TimePoint t) {
  auto secs = spool::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// Where to connect, or why there is nowhere to connect.
struct DirectDelivery::Targets {
  std::vector<Target> targets;
  bool permanent = false;
  spool::Reply reply;  // when targets is empty
  std::string why;
};

DirectDelivery::DirectDelivery(asio::any_io_executor executor, dns::Resolver& resolver,
                               SessionPool& pool, Options options)
    : executor_(std::move(executor)),
      resolver_(resolver),
      pool_(pool),
      options_(std::move(options)),
      tls_(asio::ssl::context::tls_client),
      rng_(static_cast<std::mt19937::result_type>(options_.rngSeed)) {
  tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  tls_.set_default_verify_paths();
}

Task<DirectDelivery::Targets> DirectDelivery::resolve(
    const std::string& domain, const sidecarconfig::DirectTransport& direct) {
  Targets out;
  std::vector<HostAddresses> hosts;
  if (!direct.nextHop.empty()) {
    auto hop = sidecarconfig::parseNextHop(direct.nextHop, direct.port);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(hop->host, ec);
    hosts.resize(1);
    hosts[0].mx = {0, hop->host};
    if (!ec) {
      (addr.is_v4() ? hosts[0].a : hosts[0].aaaa) = {dns::Status::kOk, {addr}, 0, ""};
      (addr.is_v4() ? hosts[0].aaaa : hosts[0].a).status = dns::Status::kNoData;
    } else {
      if (wantsIpv4(direct)) hosts[0].a = co_await resolver_.a(hop->host);
      if (wantsIpv6(direct)) hosts[0].aaaa = co_await resolver_.aaaa(hop->host);
    }
  } else {
    auto mx = co_await resolver_.mx(domain);
    auto mxPlan = planMx(domain, mx, rng_);
    switch (mxPlan.kind) {
      case MxPlan::Kind::kNullMx:
        out.permanent = true;
        out.reply = {556, "5.1.10", mxPlan.reason};
        out.why = mxPlan.reason;
        co_return out;
      case MxPlan::Kind::kNoSuchDomain:
        out.permanent = true;
        out.reply = {550, "5.1.2", mxPlan.reason};
        out.why = mxPlan.reason;
        co_return out;
      case MxPlan::Kind::kTempFail:
        out.reply = {0, "4.4.3", mxPlan.reason};
        out.why = mxPlan.reason;
        co_return out;
      case MxPlan::Kind::kHosts:
        break;
    }
    for (const auto& h : mxPlan.hosts) {
      HostAddresses ha;
      ha.mx = h;
      ha.a.status = ha.aaaa.status = dns::Status::kNoData;
      if (wantsIpv4(direct)) ha.a = co_await resolver_.a(h.host);
      if (wantsIpv6(direct)) ha.aaaa = co_await resolver_.aaaa(h.host);
      hosts.push_back(std::move(ha));
    }
  }
  auto plan = planTargets(hosts, direct);
  out.targets = std::move(plan.targets);
  if (out.targets.empty()) {
    out.permanent = plan.permanent;
    out.reply = {plan.permanent ? 550 : 0, plan.permanent ? "5.4.4" : "4.4.3", plan.reason};
    out.why = "no address to deliver to: " + plan.reason;
  }
  co_return out;
}

Task<void> DirectDelivery::deliver(DestinationAttempt& attempt, const std::string& message,
                                   const sidecarconfig::Transport& transport,
                                   const sidecarconfig::SidecarConfig& config) {
  const auto& direct = *transport.direct();  // the engine hands direct transports only
  const auto* limits = sidecarconfig::limitsFor(transport, attempt.destination());
  const std::string& ehlo = sidecarconfig::ehloName(config, direct);
  const spool::Envelope& envelope = attempt.envelope();
  Targets where = co_await resolve(attempt.destination(), direct);
  if (where.targets.empty()) {
    attempt.finishAll(where.permanent, where.reply, where.why);
    co_return;
  }

  // A family rejected here for reverse DNS before: the other one first, the rejected one
  // still after it (the same-attempt fallback stays).
  const bool bothFamilies = direct.family.both();
  const std::chrono::seconds rememberFor =
      direct.rememberRejectedFamily.value_or(policy::kDefaultFamilyMemory);
  std::string learnedNote;
  if (bothFamilies && options_.learned) {
    if (const auto* lesson = options_.learned->inForce(attempt.destination(), options_.now())) {
      std::stable_partition(where.targets.begin(), where.targets.end(), [&](const Target& t) {
        return dns::familyOf(t.address) != lesson->rejected;
      });
      const char* other = familyName(otherFamily(lesson->rejected));
      learnedNote = std::string(other) + " first: " + familyName(lesson->rejected) +
                    " was rejected here for reverse DNS (until " + isoTime(lesson->until) + ")";
    }
  }

  smtp::Transaction txn;
  txn.mailFrom = envelope.mailFrom;
  txn.message = message;
  txn.needsSmtpUtf8 = envelope.needsSmtpUtf8;
  txn.eightBit = envelope.eightBit;
  std::set<AddressFamily> ptrRejected;
  for (const auto& target : where.targets) {
    std::vector<RecipientTrack*> open = attempt.open();
    if (open.empty()) break;
    const auto family = dns::familyOf(target.address);
    if (ptrRejected.count(family)) continue;  // our source address there has no usable PTR

    TargetConnection to;
    to.source = direct.sourceFor(family);
    if (!to.source.empty()) to.bindTo = asio::ip::make_address(to.source);
    to.remote = asio::ip::tcp::endpoint(target.address, direct.connectPort());
    to.poolKey = to.remote.address().to_string() + "|" + std::to_string(to.remote.port()) + "|" +
                 to.source + "|" + ehlo + "|" + std::to_string(static_cast<int>(direct.tls));
    to.ehloHostname = ehlo;
    to.serverName = target.mxHost;
    to.tls = direct.tls;
    to.tlsContext = &tls_;
    to.timeouts = options_.timeouts;
    applyLimits(limits, to);
    DirectVerdicts verdicts(attempt, target, family, bothFamilies, ptrRejected, options_.now,
                            options_.learned, rememberFor, learnedNote);
    co_await sendToTarget(executor_, pool_, to, std::move(open), txn, attempt, verdicts);
  }
}

}  // namespace mailroom::delivery
