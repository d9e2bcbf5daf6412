#include "operator/dns/providers/rfc2136/rfc2136.h"

#include <openssl/rand.h>

#include <ctime>

namespace mailroom::dnspub::rfc2136 {

namespace {

using R = ProviderErrorReason;

uint16_t randomId() {
  uint8_t b[2] = {0, 0};
  RAND_bytes(b, 2);
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

bool isPrerequisiteFailure(uint8_t rcode) {
  auto r = static_cast<Rcode>(rcode);
  return r == Rcode::kNxRrset || r == Rcode::kYxRrset || r == Rcode::kNxDomain ||
         r == Rcode::kYxDomain;
}

}  // namespace

Rfc2136Provider::Rfc2136Provider(Rfc2136Config config, DnsTransport& transport)
    : config_(std::move(config)), transport_(transport) {
  if (!config_.now) config_.now = [] { return static_cast<uint64_t>(std::time(nullptr)); };
}

ProviderError Rfc2136Provider::error(ProviderErrorReason reason, std::string message) const {
  return ProviderError{reason, "the DNS server " + transport_.server() + " " + message};
}

std::optional<ProviderError> Rfc2136Provider::signedExchange(
    const Message& query, const std::string& zone, const std::string& what,
    const std::function<std::optional<ProviderError>(const Message&, bool& more)>& onMessage) {
  auto wire = encode(query);
  if (!wire)
    return ProviderError{R::kInvalidRecords, "cannot encode " + what + ": " + wire.error().message};
  auto mac = signMessage(*wire, config_.key, config_.now(), config_.fudge);
  if (!mac)
    return ProviderError{R::kInvalidRecords, "cannot sign " + what + ": " + mac.error().message};
  if (wire->size() > 0xFFFF)
    return ProviderError{R::kInvalidRecords, what + " does not fit in one DNS message"};
  TsigVerifier verifier(config_.key, *mac);
  std::optional<ProviderError> failure;
  bool done = false;
  auto handle = [&](const Bytes& answer) {
    auto m = decode(answer);
    if (!m || m->id != query.id || !m->response) {
      failure = error(R::kBadResponse, "answered " + what + " with a message Mailroom cannot read" +
                                           (m ? "" : ": " + m.error().message));
      return false;
    }
    auto signedOk = verifier.verify(answer, *m, config_.now());
    if (!signedOk && signedOk.error().kind == ErrorKind::kPermanent) {
      failure = error(R::kUnauthorized,
                      "refused TSIG key " + config_.key.name + " (" + signedOk.error().message +
                          ") for " + what +
                          ": check that the credentials Secret holds the "
                          "key's base64 secret, that tsigKeyName and tsigAlgorithm match the "
                          "server's key, and that the clocks agree");
      return false;
    }
    if (m->rcode == 0 && !signedOk) {
      failure = error(R::kBadResponse, "answered " + what + " without a valid signature (" +
                                           signedOk.error().message + ")");
      return false;
    }
    // An error answer is acted on even if unsigned: it can only stop a write, never cause one.
    bool more = false;
    failure = onMessage(*m, more);
    done = !more || failure;
    return !done;
  };
  if (auto t = transport_.exchange(*wire, handle)) {
    if (failure) return failure;
    return error(t->kind == TransportError::Kind::kTimeout ? R::kTimeout : R::kUnavailable,
                 "did not complete " + what + " (" + t->message + ")" +
                     (query.opcode == kOpcodeUpdate
                          ? "; the update may have been applied: the next attempt re-reads "
                            "the zone"
                          : "") +
                     ": check dnsProvider.server and that the server accepts TCP on it");
  }
  if (failure) return failure;
  if (!done) return error(R::kBadResponse, "ended " + what + " before it was complete");
  if (auto f = verifier.finish(); !f)
    return error(R::kBadResponse, "answered " + what + " with " + f.error().message);
  (void)zone;
  return std::nullopt;
}

ProviderResult<std::vector<RecordSet>> Rfc2136Provider::records(const std::string& zoneName) {
  std::string zone = normalizeName(zoneName);
  std::string what = "the zone transfer (AXFR) of " + zone + ".";
  Message q;
  q.id = randomId();
  q.questions.push_back({zone, kTypeAxfr, kClassIn});
  std::map<RecordKey, ReadRRset> read;
  int soas = 0;
  auto err = signedExchange(
      q, zone, what, [&](const Message& m, bool& more) -> std::optional<ProviderError> {
        if (m.rcode == static_cast<uint8_t>(Rcode::kRefused))
          return error(R::kUnauthorized, "refused " + what + " to key " + config_.key.name +
                                             ": allow it (BIND: allow-transfer { key " +
                                             config_.key.name + "; };)");
        if (m.rcode == static_cast<uint8_t>(Rcode::kNotAuth) ||
            m.rcode == static_cast<uint8_t>(Rcode::kNotZone))
          return error(R::kZoneNotFound, "is not authoritative for zone " + zone + ". (" +
                                             rcodeName(m.rcode) +
                                             "): fix dnsProvider.zone or .server");
        if (m.rcode == static_cast<uint8_t>(Rcode::kServFail))
          return error(R::kUnavailable, "failed " + what + " (SERVFAIL); retrying");
        if (m.rcode != 0)
          return error(R::kRejected, "refused " + what + " (" + rcodeName(m.rcode) + ")");
        for (const auto& rr : m.answers) {
          if (soas == 0 && rr.type != kTypeSoa)
            return error(R::kBadResponse, "answered " + what + " without the zone's SOA first");
          if (rr.type == kTypeSoa && ++soas == 2) break;
          if (rr.type != kTypeTxt || rr.cls != kClassIn) continue;
          auto value = decodeTxtRdata(rr.rdata);
          if (!value) continue;  // unreadable RDATA can match nothing of ours
          auto& rs = read[{normalizeName(rr.name), "TXT"}];
          rs.ttl = rr.ttl;
          rs.values.emplace_back(*value, rr.rdata);
        }
        more = soas < 2;
        return std::nullopt;
      });
  if (err) return *err;
  std::vector<RecordSet> out;
  for (const auto& [key, rs] : read) {
    RecordSet set{key.name, key.type, rs.ttl, {}};
    for (const auto& v : rs.values) set.values.push_back(v.first);
    out.push_back(std::move(set));
  }
  lastRead_ = std::move(read);
  lastReadZone_ = zone;
  return out;
}

Result<Message> Rfc2136Provider::buildUpdate(const std::string& zone,
                                             const std::vector<Change>& changes) const {
  Message m;
  m.id = randomId();
  m.opcode = kOpcodeUpdate;
  m.questions.push_back({zone, kTypeSoa, kClassIn});
  for (const auto& c : changes) {
    if (c.key.type != "TXT")
      return Error::invalidArgument(c.key.name + " " + c.key.type + ": only TXT is written");
    const ReadRRset* read = nullptr;
    if (lastReadZone_ == zone)
      if (auto it = lastRead_.find(c.key); it != lastRead_.end()) read = &it->second;
    // The RDATA of value v as read (every record whose logical value is v), or as we render it.
    auto rdatas = [&](const std::string& v) {
      std::vector<Bytes> out;
      if (read)
        for (const auto& [logical, rdata] : read->values)
          if (logical == v) out.push_back(rdata);
      if (out.empty()) out.push_back(encodeTxtRdata(v));
      return out;
    };
    if (c.before.empty()) {
      m.answers.push_back({c.key.name, kTypeTxt, kClassNone, 0, {}});  // §2.4.3
    } else {
      for (const auto& v : c.before)
        for (auto& rd : rdatas(v)) m.answers.push_back({c.key.name, kTypeTxt, kClassIn, 0, rd});
    }
    for (const auto& v : c.remove)
      for (auto& rd : rdatas(v)) m.authority.push_back({c.key.name, kTypeTxt, kClassNone, 0, rd});
    uint32_t ttl = read && !c.before.empty() ? read->ttl : c.ttl;
    for (const auto& v : c.add)
      m.authority.push_back({c.key.name, kTypeTxt, kClassIn, ttl, encodeTxtRdata(v)});
  }
  return m;
}

std::optional<ProviderError> Rfc2136Provider::applyChanges(const std::string& zoneName,
                                                           const std::vector<Change>& changes) {
  std::string zone = normalizeName(zoneName);
  if (changes.empty()) return std::nullopt;
  auto update = buildUpdate(zone, changes);
  if (!update) return ProviderError{R::kInvalidRecords, update.error().message};
  std::string what =
      "the update of " + std::to_string(changes.size()) + " RRsets in zone " + zone + ".";
  return signedExchange(
      *update, zone, what, [&](const Message& m, bool& more) -> std::optional<ProviderError> {
        more = false;
        auto rcode = static_cast<Rcode>(m.rcode);
        if (rcode == Rcode::kNoError) return std::nullopt;
        if (isPrerequisiteFailure(m.rcode))
          return error(R::kUnavailable,
                       "refused " + what +
                           " because a record changed since Mailroom read the zone (" +
                           rcodeName(m.rcode) +
                           ": another writer was faster; nothing was written, the next sync "
                           "re-reads and re-plans)");
        if (rcode == Rcode::kRefused)
          return error(R::kUnauthorized, "refused " + what +
                                             " (REFUSED): its update-policy must "
                                             "grant key " +
                                             config_.key.name + " TXT updates in the zone");
        if (rcode == Rcode::kNotAuth)
          return error(R::kZoneNotFound, "is not the primary for zone " + zone +
                                             ". (NOTAUTH): fix dnsProvider.zone or .server");
        if (rcode == Rcode::kNotZone)
          return error(R::kInvalidRecords,
                       "refused " + what + ": a name is outside the zone (NOTZONE)");
        if (rcode == Rcode::kServFail)
          return error(R::kUnavailable, "failed " + what + " (SERVFAIL); retrying");
        return error(R::kRejected, "refused " + what + " (" + rcodeName(m.rcode) + ")");
      });
}

}  // namespace mailroom::dnspub::rfc2136
