// One delivery attempt for the recipients of one destination domain (see engine.h).
#include <optional>

#include "lib/sidecarconfig/parse.h"
#include "sidecar/delivery/classify.h"
#include "sidecar/delivery/engine.h"
#include "sidecar/delivery/targets.h"
#include "sidecar/policy/retry.h"

namespace mailroom::delivery {
namespace {

spool::Reply toSpool(const smtp::Reply& r) {
  return {r.code, r.enhanced, r.text()};
}

std::string describe(const spool::Reply& r) {
  std::string s = std::to_string(r.code);
  if (!r.enhanced.empty()) s += " " + r.enhanced;
  if (!r.text.empty()) s += " " + r.text;
  return s;
}

std::string isoTime(spool::TimePoint t) {
  auto secs = spool::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What happened to one recipient during this attempt.
struct Track {
  size_t index;
  bool open = true;  // still to be delivered in this attempt
  std::optional<spool::Reply> lastReply;
  bool lastWasPermanent = false;  // the last thing that happened was a 5xx
  std::string ptrNote;            // "rejected over IPv6 from 2001:db8:5::10 (no PTR)"
};

}  // namespace

Task<void> Engine::deliverDomain(spool::Envelope& envelope, const std::string& message,
                                 const std::string& domain, const std::vector<size_t>& indices) {
  auto config = config_;  // this attempt keeps the config it started with
  const sidecarconfig::Transport* transport = sidecarconfig::routeFor(*config, domain);
  const sidecarconfig::Retry retrySettings = transport ? transport->retry : sidecarconfig::Retry{};
  const auto now = options_.now();
  auto& rcpts = envelope.recipients;
  std::vector<Track> tracks;
  for (size_t i : indices) {
    tracks.push_back({i});
    rcpts[i].attempts += 1;
  }

  auto addHistory = [&](Track& t, spool::Attempt a) {
    auto& h = rcpts[t.index].history;
    h.push_back(std::move(a));
  };
  auto bounce = [&](Track& t, const spool::Reply& reply, std::string summary) {
    auto& r = rcpts[t.index];
    r.state = spool::RecipientState::kBounced;
    r.lastReply = reply;
    r.summary = std::move(summary);
    t.open = false;
  };
  auto defer = [&](Track& t, const spool::Reply& reply, const std::string& why) {
    auto& r = rcpts[t.index];
    r.lastReply = reply;
    policy::RetryPolicy retry{retrySettings.initialBackoff, retrySettings.maxBackoff, 2.0,
                              retrySettings.queueLifetime};
    if (policy::expired(retry, envelope.acceptedAt, now)) {
      bounce(t, reply,
             "gave up after " + std::to_string(r.attempts) +
                 " attempts (queue lifetime exceeded); last: " + why);
      return;
    }
    r.state = spool::RecipientState::kDeferred;
    r.nextAttempt = policy::nextAttempt(retry, envelope.acceptedAt, r.attempts, now);
    r.summary = "deferred: " + why + "; next attempt " + isoTime(r.nextAttempt);
    t.open = false;
  };
  auto finishAll = [&](bool permanent, const spool::Reply& reply, const std::string& why) {
    for (auto& t : tracks) {
      if (!t.open) continue;
      if (permanent)
        bounce(t, reply, why);
      else
        defer(t, reply, why);
    }
  };

  if (!transport) {
    finishAll(true, {0, "5.3.5", ""}, "no transport routes mail for " + domain);
    co_return;
  }
  if (!transport->direct()) {  // the sidecar refuses such configs at load; never lose mail
    finishAll(false, {0, "4.3.5", ""},
              "transport \"" + transport->name + "\" is a relay, not supported by this build yet");
    co_return;
  }
  const auto& direct = *transport->direct();
  const auto* limits = sidecarconfig::limitsFor(*transport, domain);
  const int deliveriesPerConnection = limits && limits->deliveriesPerConnection
                                          ? *limits->deliveriesPerConnection
                                          : sidecarconfig::kDefaultDeliveriesPerConnection;

  // Where to connect.
  std::vector<Target> targets;
  std::string planNote;
  bool planPermanent = false;
  spool::Reply planReply;
  if (!direct.nextHop.empty()) {
    auto hop = sidecarconfig::parseNextHop(direct.nextHop, direct.port);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(hop->host, ec);
    std::vector<HostAddresses> hosts(1);
    hosts[0].mx = {0, hop->host};
    if (!ec) {
      (addr.is_v4() ? hosts[0].a : hosts[0].aaaa) = {dns::Status::kOk, {addr}, 0, ""};
      (addr.is_v4() ? hosts[0].aaaa : hosts[0].a).status = dns::Status::kNoData;
    } else {
      if (wantsIpv4(direct)) hosts[0].a = co_await resolver_.a(hop->host);
      if (wantsIpv6(direct)) hosts[0].aaaa = co_await resolver_.aaaa(hop->host);
    }
    auto plan = planTargets(hosts, direct);
    targets = plan.targets;
    planNote = plan.reason;
    planPermanent = plan.permanent;
  } else {
    auto mx = co_await resolver_.mx(domain);
    auto mxPlan = planMx(domain, mx, rng_);
    switch (mxPlan.kind) {
      case MxPlan::Kind::kNullMx:
        finishAll(true, {556, "5.1.10", mxPlan.reason}, mxPlan.reason);
        co_return;
      case MxPlan::Kind::kNoSuchDomain:
        finishAll(true, {550, "5.1.2", mxPlan.reason}, mxPlan.reason);
        co_return;
      case MxPlan::Kind::kTempFail:
        finishAll(false, {0, "4.4.3", mxPlan.reason}, mxPlan.reason);
        co_return;
      case MxPlan::Kind::kHosts:
        break;
    }
    std::vector<HostAddresses> hosts;
    for (const auto& h : mxPlan.hosts) {
      HostAddresses ha;
      ha.mx = h;
      ha.a.status = ha.aaaa.status = dns::Status::kNoData;
      if (wantsIpv4(direct)) ha.a = co_await resolver_.a(h.host);
      if (wantsIpv6(direct)) ha.aaaa = co_await resolver_.aaaa(h.host);
      hosts.push_back(std::move(ha));
    }
    auto plan = planTargets(hosts, direct);
    targets = plan.targets;
    planNote = plan.reason;
    planPermanent = plan.permanent;
  }
  if (targets.empty()) {
    planReply = {planPermanent ? 550 : 0, planPermanent ? "5.4.4" : "4.4.3", planNote};
    finishAll(planPermanent, planReply, "no address to deliver to: " + planNote);
    co_return;
  }

  std::set<AddressFamily> ptrRejected;
  const bool bothFamilies = direct.family.both();
  for (const auto& target : targets) {
    std::vector<Track*> open;
    for (auto& t : tracks)
      if (t.open) open.push_back(&t);
    if (open.empty()) break;
    const auto family = dns::familyOf(target.address);
    if (ptrRejected.count(family)) continue;  // our source address there has no usable PTR

    const std::string source = direct.sourceFor(family);
    const std::string& ehlo = sidecarconfig::ehloName(*config, direct);
    const asio::ip::tcp::endpoint remote(target.address, direct.connectPort());
    const std::string poolKey = remote.address().to_string() + "|" + std::to_string(remote.port()) +
                                "|" + source + "|" + ehlo + "|" +
                                std::to_string(static_cast<int>(direct.tls));

    auto row = [&](const std::string& sourceIp) {
      spool::Attempt a;
      a.at = options_.now();
      a.mxHost = target.mxHost;
      a.ip = target.address.to_string();
      a.family = family;
      a.sourceIp = sourceIp;
      return a;
    };
    // A reply that rejects us for reverse DNS over this family: fall back to the other family
    // at once when the transport allows it, else it is final for these recipients.
    auto onPermanent = [&](Track& t, const spool::Reply& reply, const std::string& sourceIp,
                           spool::Attempt a) {
      metrics_.inc("mailroom_smtp_replies_total", {{"class", "5xx"}});
      t.lastReply = reply;
      t.lastWasPermanent = true;
      auto cls = classifyReply(reply.code, reply.enhanced, reply.text);
      if (cls == Classification::kReversePtr) {
        ptrRejected.insert(family);
        t.ptrNote = std::string("rejected over ") + familyName(family) + " from " +
                    (sourceIp.empty() ? "?" : sourceIp) + " (" + classificationWords(cls) + ")";
        if (bothFamilies && !ptrRejected.count(otherFamily(family))) {
          a.outcome = "family-fallback";
          a.note = t.ptrNote + "; retrying over " + familyName(otherFamily(family));
          addHistory(t, std::move(a));
          metrics_.inc("mailroom_family_fallback_total", {{"from", familyName(family)}});
          return;  // stays open for a target of the other family
        }
        a.outcome = "bounced";
        a.note = t.ptrNote + (bothFamilies ? "; the other family was rejected too"
                                           : "; the transport allows no other family");
        addHistory(t, a);
        bounce(t, reply, a.note + ": " + describe(reply));
        return;
      }
      a.outcome = "bounced";
      addHistory(t, a);
      bounce(t, reply,
             (t.ptrNote.empty() ? "" : t.ptrNote + "; then ") + std::string("rejected over ") +
                 familyName(family) + " by " + target.mxHost + ": " + describe(reply));
    };
    auto onTemporary = [&](Track& t, const spool::Reply& reply, spool::Attempt a,
                           const char* outcome) {
      if (reply.code) metrics_.inc("mailroom_smtp_replies_total", {{"class", "4xx"}});
      t.lastReply = reply;
      t.lastWasPermanent = false;
      a.outcome = outcome;
      addHistory(t, std::move(a));
    };

    smtp::Transaction txn;
    txn.mailFrom = envelope.mailFrom;
    for (auto* t : open) txn.recipients.push_back(rcpts[t->index].address);
    txn.message = message;
    txn.needsSmtpUtf8 = envelope.needsSmtpUtf8;
    txn.eightBit = envelope.eightBit;

    // A pooled session the server closed in the meantime sends nothing (notAttempted): open a
    // fresh one and send again; that is not a delivery attempt of its own.
    PooledSession ps = pool_.take(poolKey);
    smtp::TransactionResult result;
    bool connectFailed = false;
    for (int tries = 0; tries < 2; ++tries) {
      if (!ps.session) {
        smtp::SessionOptions so;
        so.ehloHostname = ehlo;
        so.serverName = target.mxHost;
        so.tls = direct.tls;
        so.tlsContext = &tls_;
        std::optional<asio::ip::address> bindTo;
        if (!source.empty()) bindTo = asio::ip::make_address(source);
        auto opened = co_await smtp::Session::open(io_.get_executor(), remote, bindTo, so);
        if (auto* err = std::get_if<smtp::SessionError>(&opened)) {
          spool::Reply reply =
              err->reply ? toSpool(*err->reply) : spool::Reply{0, "", err->message};
          for (auto* t : open) {
            auto a = row(source);
            a.reply = reply;
            a.note = err->message;
            if (err->reply && err->permanent)
              onPermanent(*t, reply, source, a);
            else
              onTemporary(*t, reply, a, "connect-failed");
          }
          connectFailed = true;
          break;
        }
        ps = PooledSession{std::move(std::get<std::unique_ptr<smtp::Session>>(opened)), 0, {}};
      }
      result = co_await ps.session->send(txn);
      if (!result.notAttempted) break;
      ps = PooledSession{};
    }
    if (connectFailed) continue;
    ps.transactions += 1;
    const std::string localIp = ps.session->localEndpoint().address().to_string();

    for (size_t k = 0; k < open.size(); ++k) {
      Track& t = *open[k];
      spool::Reply reply;
      bool delivered = false, permanent = false;
      if (k < result.recipients.size()) {
        reply = toSpool(result.recipients[k].reply);
        delivered = result.recipients[k].delivered;
        permanent = result.recipients[k].permanent;
      } else if (result.error) {
        reply = result.error->reply ? toSpool(*result.error->reply)
                                    : spool::Reply{0, "", result.error->message};
        permanent = result.error->permanent;
      }
      auto a = row(localIp);
      a.reply = reply;
      if (delivered) {
        metrics_.inc("mailroom_smtp_replies_total", {{"class", "2xx"}});
        auto& r = rcpts[t.index];
        r.state = spool::RecipientState::kDelivered;
        r.lastReply = reply;
        r.mxHost = target.mxHost;
        r.ip = target.address.to_string();
        r.family = family;
        r.sourceIp = localIp;
        std::string how = std::string("delivered over ") + familyName(family) + " to " +
                          target.mxHost + " [" + r.ip + "]" +
                          (ps.session->tlsActive() ? " with TLS" : "");
        r.summary = t.ptrNote.empty() ? how : t.ptrNote + "; " + how;
        a.outcome = "delivered";
        a.note = ps.session->tlsDescription();
        addHistory(t, std::move(a));
        t.open = false;
      } else if (permanent) {
        onPermanent(t, reply, localIp, std::move(a));
      } else {
        onTemporary(t, reply, std::move(a), "deferred");
      }
    }
    const bool reusable = ps.session->usable();
    if (reusable && ps.transactions < deliveriesPerConnection) {
      pool_.put(poolKey, std::move(ps));
    } else {
      co_await ps.session->quit();
    }
  }

  // Whatever is still open got no final answer from any target.
  for (auto& t : tracks) {
    if (!t.open) continue;
    spool::Reply reply =
        t.lastReply.value_or(spool::Reply{0, "", "no target accepted a connection"});
    std::string why = describe(reply);
    if (!t.ptrNote.empty()) why = t.ptrNote + "; then " + why;
    if (t.lastWasPermanent)
      bounce(t, reply, why);
    else
      defer(t, reply, why);
  }
}

}  // namespace mailroom::delivery
