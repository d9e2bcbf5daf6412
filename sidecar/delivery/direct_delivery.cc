#include "sidecar/delivery/direct_delivery.h"

#include <algorithm>
#include <optional>
#include <set>

#include "lib/sidecarconfig/parse.h"
#include "sidecar/delivery/classify.h"
#include "sidecar/delivery/targets.h"

namespace mailroom::delivery {
namespace {

spool::Reply toSpool(const smtp::Reply& r) {
  return {r.code, r.enhanced, r.text()};
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
  const int deliveriesPerConnection = limits && limits->deliveriesPerConnection
                                          ? *limits->deliveriesPerConnection
                                          : sidecarconfig::kDefaultDeliveriesPerConnection;
  const size_t maxRecipients =
      static_cast<size_t>(limits && limits->maxRecipientsPerTransaction
                              ? *limits->maxRecipientsPerTransaction
                              : sidecarconfig::kDefaultMaxRecipientsPerTransaction);
  const std::string& ehlo = sidecarconfig::ehloName(config, direct);
  const spool::Envelope& envelope = attempt.envelope();
  Targets where = co_await resolve(attempt.destination(), direct);
  if (where.targets.empty()) {
    attempt.finishAll(where.permanent, where.reply, where.why);
    co_return;
  }

  std::set<AddressFamily> ptrRejected;
  const bool bothFamilies = direct.family.both();
  for (const auto& target : where.targets) {
    std::vector<RecipientTrack*> open = attempt.open();
    if (open.empty()) break;
    const auto family = dns::familyOf(target.address);
    if (ptrRejected.count(family)) continue;  // our source address there has no usable PTR

    const std::string source = direct.sourceFor(family);
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
    auto onPermanent = [&](RecipientTrack& t, const spool::Reply& reply,
                           const std::string& sourceIp, spool::Attempt a) {
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
          attempt.addRow(t, std::move(a));
          return;  // stays open for a target of the other family
        }
        a.outcome = "bounced";
        a.note = t.ptrNote + (bothFamilies ? "; the other family was rejected too"
                                           : "; the transport allows no other family");
        attempt.addRow(t, a);
        attempt.bounce(t, reply, a.note + ": " + describe(reply));
        return;
      }
      a.outcome = "bounced";
      attempt.addRow(t, a);
      attempt.bounce(t, reply,
                     (t.ptrNote.empty() ? "" : t.ptrNote + "; then ") +
                         std::string("rejected over ") + familyName(family) + " by " +
                         target.mxHost + ": " + describe(reply));
    };
    auto onTemporary = [&](RecipientTrack& t, const spool::Reply& reply, spool::Attempt a,
                           const char* outcome) {
      t.lastReply = reply;
      t.lastWasPermanent = false;
      a.outcome = outcome;
      attempt.addRow(t, std::move(a));
    };

    // The recipients for this target, in transactions of at most maxRecipients RCPTs on one
    // session (a new one after deliveriesPerConnection transactions). A recipient the server
    // refuses only for the number of RCPTs goes to the back, into a later transaction at once
    // (RFC 5321 §4.5.3.1.10), not into the retry queue.
    PooledSession ps;
    smtp::Transaction txn;
    txn.mailFrom = envelope.mailFrom;
    txn.message = message;
    txn.needsSmtpUtf8 = envelope.needsSmtpUtf8;
    txn.eightBit = envelope.eightBit;
    size_t next = 0;
    while (next < open.size() && !ptrRejected.count(family)) {
      const size_t batchEnd = std::min(open.size(), next + maxRecipients);
      txn.recipients.clear();
      for (size_t k = next; k < batchEnd; ++k)
        txn.recipients.push_back(attempt.recipient(*open[k]).address);

      // A pooled session the server closed in the meantime sends nothing (notAttempted): open
      // a fresh one and send again; that is not a delivery attempt of its own.
      if (!ps.session) ps = pool_.take(poolKey);
      smtp::TransactionResult result;
      bool connectFailed = false;
      for (int tries = 0; tries < 2; ++tries) {
        if (!ps.session) {
          smtp::SessionOptions so;
          so.ehloHostname = ehlo;
          so.serverName = target.mxHost;
          so.tls = direct.tls;
          so.tlsContext = &tls_;
          so.timeouts = options_.timeouts;
          std::optional<asio::ip::address> bindTo;
          if (!source.empty()) bindTo = asio::ip::make_address(source);
          auto opened = co_await smtp::Session::open(executor_, remote, bindTo, so);
          if (auto* err = std::get_if<smtp::SessionError>(&opened)) {
            spool::Reply reply =
                err->reply ? toSpool(*err->reply) : spool::Reply{0, "", err->message};
            // Every recipient still waiting for this target shares the failure.
            for (size_t k = next; k < open.size(); ++k) {
              auto a = row(source);
              a.reply = reply;
              a.note = err->message;
              if (err->reply && err->permanent)
                onPermanent(*open[k], reply, source, a);
              else
                onTemporary(*open[k], reply, a, "connect-failed");
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
      if (connectFailed) break;
      ps.transactions += 1;
      const std::string localIp = ps.session->localEndpoint().address().to_string();

      // Refused for the number of RCPTs only: sent again below.
      auto limitedAt = [&](size_t k) {
        const auto& rr = result.recipients[k - next];
        return !rr.delivered && !result.error && smtp::recipientLimitReached(rr.reply);
      };
      size_t limited = 0;
      for (size_t k = next; k < batchEnd; ++k) {
        RecipientTrack& t = *open[k];
        const auto& rr = result.recipients[k - next];
        const spool::Reply reply = toSpool(rr.reply);
        if (limitedAt(k)) {
          ++limited;
          continue;
        }
        auto a = row(localIp);
        a.reply = reply;
        if (rr.delivered) {
          auto& r = attempt.recipient(t);
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
          attempt.addRow(t, std::move(a));
          t.open = false;
        } else if (rr.permanent) {
          onPermanent(t, reply, localIp, std::move(a));
        } else {
          onTemporary(t, reply, std::move(a), "deferred");
        }
      }
      if (limited == batchEnd - next) {
        // The server took none of them: no later transaction would do better now.
        for (size_t k = next; k < batchEnd; ++k) {
          const spool::Reply reply = toSpool(result.recipients[k - next].reply);
          auto a = row(localIp);
          a.reply = reply;
          onTemporary(*open[k], reply, std::move(a), "deferred");
        }
      } else if (limited > 0) {
        for (size_t k = next; k < batchEnd; ++k)
          if (limitedAt(k)) open.push_back(open[k]);
      }
      next = batchEnd;

      const bool keep = ps.session->usable() && ps.transactions < deliveriesPerConnection;
      if (result.error && !result.error->permanent && !ps.session->usable()) {
        // The session failed (timeout, 421, dropped): the rest of this target's recipients
        // share the failure and try the next target.
        const spool::Reply reply = result.error->reply ? toSpool(*result.error->reply)
                                                       : spool::Reply{0, "", result.error->message};
        for (size_t k = next; k < open.size(); ++k) {
          auto a = row(localIp);
          a.reply = reply;
          a.note = "not sent: " + result.error->message;
          onTemporary(*open[k], reply, std::move(a), "deferred");
        }
        break;
      }
      if (!keep) {
        co_await ps.session->quit();
        ps = PooledSession{};
      }
    }
    if (ps.session) {
      if (ps.session->usable() && ps.transactions < deliveriesPerConnection)
        pool_.put(poolKey, std::move(ps));
      else
        co_await ps.session->quit();
    }
  }
}

}  // namespace mailroom::delivery
