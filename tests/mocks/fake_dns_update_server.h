// An in-memory primary server behind the RFC2136 provider's DnsTransport edge
// (operator/dns/providers/rfc2136/transport.h), for provider tests without a network: it checks
// the request's TSIG like a server (RFC 8945 §5.2), answers AXFR in two signed messages (the
// second signed over the first MAC and the timers only, §5.3.1), and applies UPDATEs with the
// prerequisite forms Mailroom sends (RFC 2136 §3.2: "RRset does not exist", "RRset exists
// (value dependent)") atomically, as BIND does. Knobs let a test race a concurrent writer in
// between, refuse, or break the answer's signature. Only TXT RRsets are held.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operator/dns/providers/rfc2136/transport.h"
#include "operator/dns/providers/rfc2136/tsig.h"
#include "operator/dns/providers/rfc2136/wire.h"

namespace mailroom::testing {

class FakeDnsUpdateServer final : public dnspub::rfc2136::DnsTransport {
 public:
  using Bytes = dnspub::rfc2136::Bytes;
  struct RRset {
    uint32_t ttl = 0;
    std::vector<Bytes> rdatas;
  };

  FakeDnsUpdateServer(std::string zone, dnspub::rfc2136::TsigKey key, uint64_t now)
      : zone_(std::move(zone)), key_(std::move(key)), now_(now) {}

  std::string server() const override { return "192.0.2.53:53"; }

  // The zone's TXT RRsets by owner name.
  std::map<std::string, RRset> rrsets;
  // Runs before an UPDATE is applied: a concurrent writer.
  std::function<void()> beforeUpdate;
  std::optional<uint8_t> forceRcode;  // answer every request with this RCODE
  bool corruptMac = false;            // flip a bit of the answer's MAC
  int updates = 0, transfers = 0;
  std::vector<dnspub::rfc2136::Message> received;

  void setTxt(const std::string& name, uint32_t ttl, const std::vector<std::string>& values) {
    RRset rs{ttl, {}};
    for (const auto& v : values) rs.rdatas.push_back(dnspub::rfc2136::encodeTxtRdata(v));
    if (rs.rdatas.empty()) {
      rrsets.erase(name);
    } else {
      rrsets[name] = rs;
    }
  }
  std::vector<std::string> txt(const std::string& name) const {
    std::vector<std::string> out;
    if (auto it = rrsets.find(name); it != rrsets.end())
      for (const auto& rd : it->second.rdatas) out.push_back(*dnspub::rfc2136::decodeTxtRdata(rd));
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<dnspub::rfc2136::TransportError> exchange(
      const Bytes& query, const std::function<bool(const Bytes&)>& onMessage) override {
    using namespace dnspub::rfc2136;
    auto q = decode(query);
    if (!q) return TransportError{TransportError::Kind::kFailed, "unparseable query"};
    received.push_back(*q);
    Message a;
    a.id = q->id;
    a.response = true;
    a.opcode = q->opcode;
    a.questions = q->questions;
    auto requestMac = checkRequest(query, *q);
    if (!requestMac) {  // BIND: NOTAUTH with an unsigned TSIG record carrying the error
      a.rcode = static_cast<uint8_t>(Rcode::kNotAuth);
      TsigRecord t{algorithmName(key_.algorithm), now_, 300, {}, q->id, kBadSig, {}};
      a.additional.push_back({key_.name, kTypeTsig, kClassAny, 0, *encodeTsigRdata(t)});
      onMessage(*encode(a));
      return std::nullopt;
    }
    if (q->opcode == kOpcodeUpdate) {
      ++updates;
      if (beforeUpdate) beforeUpdate();
      a.rcode = forceRcode ? *forceRcode : applyUpdate(*q);
      onMessage(sign(a, *requestMac, false));
      return std::nullopt;
    }
    if (forceRcode) {
      a.rcode = *forceRcode;
      onMessage(sign(a, *requestMac, false));
      return std::nullopt;
    }
    ++transfers;
    return transfer(a, *requestMac, onMessage);
  }

 private:
  using Message = dnspub::rfc2136::Message;

  // The request's MAC if its TSIG verifies (§5.2), nullopt otherwise.
  std::optional<Bytes> checkRequest(const Bytes& wire, const Message& q) const {
    using namespace dnspub::rfc2136;
    if (q.additional.empty() || q.additional.back().type != kTypeTsig) return std::nullopt;
    auto t = decodeTsigRdata(q.additional.back().rdata);
    if (!t || q.additional.back().name != key_.name) return std::nullopt;
    Bytes digest = withoutTsig(wire, q.lastAdditionalOffset, t->originalId);
    auto vars = tsigVariables(key_.name, *t, false);
    digest.insert(digest.end(), vars->begin(), vars->end());
    if (hmac(key_, digest) != t->mac) return std::nullopt;
    return t->mac;
  }

  // The answer with a TSIG record over priorMac (+ timers only after the first message).
  Bytes sign(const Message& a, const Bytes& priorMac, bool timersOnly) {
    using namespace dnspub::rfc2136;
    Bytes wire = *encode(a);
    TsigRecord t{algorithmName(key_.algorithm), now_, 300, {}, a.id, 0, {}};
    Bytes digest;
    put16(digest, static_cast<uint16_t>(priorMac.size()));
    digest.insert(digest.end(), priorMac.begin(), priorMac.end());
    digest.insert(digest.end(), wire.begin(), wire.end());
    auto vars = tsigVariables(key_.name, t, timersOnly);
    digest.insert(digest.end(), vars->begin(), vars->end());
    t.mac = hmac(key_, digest);
    if (corruptMac) t.mac[0] ^= 1;
    lastMac_ = t.mac;
    Message signed_ = a;
    signed_.additional.push_back({key_.name, kTypeTsig, kClassAny, 0, *encodeTsigRdata(t)});
    return *encode(signed_);
  }

  std::optional<dnspub::rfc2136::TransportError> transfer(
      Message a, const Bytes& requestMac, const std::function<bool(const Bytes&)>& onMessage) {
    using namespace dnspub::rfc2136;
    ResourceRecord soa{zone_, kTypeSoa, kClassIn, 60, Bytes(22, 0)};
    std::vector<ResourceRecord> all{soa};
    for (const auto& [name, rs] : rrsets)
      for (const auto& rd : rs.rdatas) all.push_back({name, kTypeTxt, kClassIn, rs.ttl, rd});
    all.push_back(soa);
    size_t half = all.size() / 2;
    a.answers.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(half));
    if (!onMessage(sign(a, requestMac, false))) return std::nullopt;
    a.answers.assign(all.begin() + static_cast<ptrdiff_t>(half), all.end());
    onMessage(sign(a, lastMac_, true));
    return std::nullopt;
  }

  uint8_t applyUpdate(const Message& q) {
    using namespace dnspub::rfc2136;
    // Prerequisites (RFC 2136 §3.2): value-dependent ones are compared as whole RRsets.
    std::map<std::string, std::vector<Bytes>> wanted;
    for (const auto& p : q.answers) {
      if (p.cls == kClassNone) {
        if (rrsets.count(p.name)) return static_cast<uint8_t>(Rcode::kYxRrset);
      } else {
        wanted[p.name].push_back(p.rdata);
      }
    }
    for (auto& [name, rdatas] : wanted) {
      auto it = rrsets.find(name);
      if (it == rrsets.end()) return static_cast<uint8_t>(Rcode::kNxRrset);
      auto have = it->second.rdatas;
      std::sort(have.begin(), have.end());
      std::sort(rdatas.begin(), rdatas.end());
      if (have != rdatas) return static_cast<uint8_t>(Rcode::kNxRrset);
    }
    for (const auto& u : q.authority) {
      auto& rs = rrsets[u.name];
      auto& v = rs.rdatas;
      if (u.cls == kClassNone) {
        v.erase(std::remove(v.begin(), v.end(), u.rdata), v.end());
      } else if (std::find(v.begin(), v.end(), u.rdata) == v.end()) {
        if (v.empty()) rs.ttl = u.ttl;
        v.push_back(u.rdata);
      }
      if (v.empty()) rrsets.erase(u.name);
    }
    return 0;
  }

  std::string zone_;
  dnspub::rfc2136::TsigKey key_;
  uint64_t now_;
  Bytes lastMac_;
};

}  // namespace mailroom::testing
