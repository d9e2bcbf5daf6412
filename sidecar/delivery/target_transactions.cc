#include "sidecar/delivery/target_transactions.h"

#include <algorithm>

namespace mailroom::delivery {

spool::Reply toSpool(const smtp::Reply& r) {
  return {r.code, r.enhanced, r.text()};
}

void applyLimits(const sidecarconfig::DestinationLimits* limits, TargetConnection& target) {
  if (!limits) return;
  if (limits->maxRecipientsPerTransaction)
    target.maxRecipients = static_cast<size_t>(*limits->maxRecipientsPerTransaction);
  if (limits->deliveriesPerConnection)
    target.deliveriesPerConnection = *limits->deliveriesPerConnection;
}

void temporaryAt(DestinationAttempt& attempt, RecipientTrack& t, const spool::Reply& reply,
                 spool::Attempt row, const char* outcome) {
  t.lastReply = reply;
  t.lastWasPermanent = false;
  row.outcome = outcome;
  attempt.addRow(t, std::move(row));
}

Task<void> sendToTarget(asio::any_io_executor executor, SessionPool& pool,
                        const TargetConnection& target, std::vector<RecipientTrack*> open,
                        smtp::Transaction& txn, DestinationAttempt& attempt,
                        TargetVerdicts& verdicts) {
  PooledSession ps;
  size_t next = 0;
  while (next < open.size() && !verdicts.stop()) {
    const size_t batchEnd = std::min(open.size(), next + target.maxRecipients);
    txn.recipients.clear();
    for (size_t k = next; k < batchEnd; ++k)
      txn.recipients.push_back(attempt.recipient(*open[k]).address);

    // A pooled session the server closed in the meantime sends nothing (notAttempted): open a
    // fresh one and send again; that is not a delivery attempt of its own.
    if (!ps.session) ps = pool.take(target.poolKey);
    smtp::TransactionResult result;
    bool connectFailed = false;
    for (int tries = 0; tries < 2; ++tries) {
      if (!ps.session) {
        smtp::SessionOptions so;
        so.ehloHostname = target.ehloHostname;
        so.serverName = target.serverName;
        so.tls = target.tls;
        so.verifyCertificate = target.verifyCertificate;
        so.tlsContext = target.tlsContext;
        if (target.auth) so.auth = *target.auth;
        so.timeouts = target.timeouts;
        auto opened = co_await smtp::Session::open(executor, target.remote, target.bindTo, so);
        if (auto* err = std::get_if<smtp::SessionError>(&opened)) {
          const spool::Reply reply =
              err->reply ? toSpool(*err->reply) : spool::Reply{0, "", err->message};
          // Every recipient still waiting for this target shares the failure.
          for (size_t k = next; k < open.size(); ++k) {
            auto a = verdicts.row(target.source);
            a.reply = reply;
            a.note = err->message;
            if (err->reply && err->permanent)
              verdicts.permanent(*open[k], reply, target.source, std::move(a));
            else
              temporaryAt(attempt, *open[k], reply, std::move(a), "connect-failed");
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
    if (connectFailed) co_return;
    ps.transactions += 1;
    const std::string localIp = ps.session->localEndpoint().address().to_string();

    // Refused for the number of RCPTs only: sent again in a later transaction.
    auto limitedAt = [&](size_t k) {
      const auto& rr = result.recipients[k - next];
      return !rr.delivered && !result.error && smtp::recipientLimitReached(rr.reply);
    };
    size_t limited = 0;
    for (size_t k = next; k < batchEnd; ++k) {
      if (limitedAt(k)) {
        ++limited;
        continue;
      }
      const auto& rr = result.recipients[k - next];
      const spool::Reply reply = toSpool(rr.reply);
      auto a = verdicts.row(localIp);
      a.reply = reply;
      if (rr.delivered)
        verdicts.delivered(*open[k], reply, std::move(a), *ps.session);
      else if (rr.permanent)
        verdicts.permanent(*open[k], reply, localIp, std::move(a));
      else
        temporaryAt(attempt, *open[k], reply, std::move(a), "deferred");
    }
    if (limited == batchEnd - next) {
      // The server took none of them: no later transaction would do better now.
      for (size_t k = next; k < batchEnd; ++k) {
        const spool::Reply reply = toSpool(result.recipients[k - next].reply);
        auto a = verdicts.row(localIp);
        a.reply = reply;
        temporaryAt(attempt, *open[k], reply, std::move(a), "deferred");
      }
    } else if (limited > 0) {
      for (size_t k = next; k < batchEnd; ++k)
        if (limitedAt(k)) open.push_back(open[k]);
    }
    next = batchEnd;

    if (result.error && !result.error->permanent && !ps.session->usable()) {
      // The session failed (timeout, 421, dropped): the rest of this target's recipients share
      // the failure and try the next target.
      const spool::Reply reply = result.error->reply ? toSpool(*result.error->reply)
                                                     : spool::Reply{0, "", result.error->message};
      for (size_t k = next; k < open.size(); ++k) {
        auto a = verdicts.row(localIp);
        a.reply = reply;
        a.note = "not sent: " + result.error->message;
        temporaryAt(attempt, *open[k], reply, std::move(a), "deferred");
      }
      break;
    }
    if (!ps.session->usable() || ps.transactions >= target.deliveriesPerConnection) {
      co_await ps.session->quit();
      ps = PooledSession{};
    }
  }
  if (ps.session) {
    if (ps.session->usable() && ps.transactions < target.deliveriesPerConnection)
      pool.put(target.poolKey, std::move(ps));
    else
      co_await ps.session->quit();
  }
}

}  // namespace mailroom::delivery
