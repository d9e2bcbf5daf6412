#include "operator/dns/plan.h"

#include <algorithm>
#include <optional>

#include "operator/dns/spf_merge.h"

namespace mailroom::dnspub {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string excerpt(const std::string& v) {
  return "\"" + (v.size() > 48 ? v.substr(0, 45) + "..." : v) + "\"";
}

struct Wanted {
  uint32_t ttl = 0;
  std::vector<std::string> values;  // not SPF
  std::optional<spf::Record> spf;
};

Result<std::map<RecordKey, Wanted>> indexDesired(const std::vector<RecordSet>& desired) {
  std::map<RecordKey, Wanted> out;
  for (const auto& rs : desired) {
    RecordKey key{normalizeName(rs.name), rs.type};
    if (key.type != "TXT") {
      return Error::invalidArgument(key.name + ": type " + key.type +
                                    " is not supported (TXT only)");
    }
    if (isOwnershipName(key.name)) {
      return Error::invalidArgument(key.name + ": names starting " + std::string(kOwnershipLabel) +
                                    " are reserved for ownership records");
    }
    if (ownershipName(key.name).size() > 253) {  // RFC 1035 §2.3.4, presentation form
      return Error::invalidArgument(key.name + ": too long for its ownership record " +
                                    ownershipName(key.name) + " (over 253 octets)");
    }
    auto& w = out[key];
    w.ttl = rs.ttl;
    for (const auto& v : rs.values) {
      if (!spf::isSpfRecord(v)) {
        if (!contains(w.values, v)) w.values.push_back(v);
        continue;
      }
      if (w.spf)
        return Error::invalidArgument(key.name + ": two SPF records wanted (RFC 7208 §3.2)");
      auto parsed = spf::parseRecord(v);
      if (!parsed)
        return Error::invalidArgument(key.name + ": wanted SPF record: " + parsed.error().message);
      w.spf = std::move(parsed).value();
    }
  }
  return out;
}

std::map<RecordKey, RecordSet> indexCurrent(const std::vector<RecordSet>& current) {
  std::map<RecordKey, RecordSet> out;
  for (const auto& rs : current) {
    RecordKey key{normalizeName(rs.name), rs.type};
    auto& slot = out[key];
    if (slot.values.empty()) slot.ttl = rs.ttl;
    slot.name = key.name;
    slot.type = key.type;
    for (const auto& v : rs.values)
      if (!contains(slot.values, v)) slot.values.push_back(v);
  }
  return out;
}

// The plan for one name and type.
struct KeyPlan {
  std::vector<std::string> add, remove;
  Ownership owned;
  std::vector<Conflict> conflicts;
};

void planPlainValues(const RecordKey& key, const std::vector<std::string>& current,
                     const Wanted& wanted, const Ownership& old, KeyPlan& kp) {
  auto ours = [&](const std::string& v) { return old.valueHashes.contains(valueHash(v)); };
  for (const auto& want : wanted.values) {
    if (contains(current, want)) {
      if (ours(want)) kp.owned.valueHashes.insert(valueHash(want));
      continue;  // a foreign equal value satisfies us but stays foreign
    }
    std::string slot = slotOf(key.name, want);
    auto blocking = std::find_if(current.begin(), current.end(), [&](const std::string& c) {
      return !slot.empty() && !ours(c) && slotOf(key.name, c) == slot;
    });
    if (blocking != current.end()) {
      kp.conflicts.push_back(
          {key, "ForeignValue",
           "TXT " + key.name + " already has a " + slot + " value Mailroom does not own (" +
               excerpt(*blocking) + "); it is left alone and Mailroom's " + slot +
               " value is not published: remove the foreign value to let Mailroom publish"});
      continue;
    }
    kp.add.push_back(want);
    kp.owned.valueHashes.insert(valueHash(want));
  }
  for (const auto& c : current) {
    if (!spf::isSpfRecord(c) && ours(c) && !contains(wanted.values, c)) kp.remove.push_back(c);
  }
}

void conflict(KeyPlan& kp, const RecordKey& key, const Ownership& old, std::string reason,
              std::string message) {
  kp.conflicts.push_back({key, std::move(reason), std::move(message)});
  kp.owned.spfTermHashes = old.spfTermHashes;  // still ours; nothing changes
}

void planSpf(const RecordKey& key, const std::vector<std::string>& current, const Wanted& wanted,
             const Ownership& old, KeyPlan& kp) {
  std::vector<std::string> spfValues;
  for (const auto& v : current)
    if (spf::isSpfRecord(v)) spfValues.push_back(v);
  if (!wanted.spf && old.spfTermHashes.empty()) return;
  if (spfValues.size() > 1) {
    return conflict(kp, key, old, "MultipleSpfRecords",
                    "TXT " + key.name + " holds " + std::to_string(spfValues.size()) +
                        " SPF records, a permerror for every receiver (RFC 7208 §3.2); Mailroom "
                        "will not merge into them: keep one");
  }
  std::optional<spf::Record> foreign;
  if (spfValues.size() == 1) {
    auto parsed = spf::parseRecord(spfValues[0]);
    if (!parsed) {
      return conflict(kp, key, old, "InvalidSpfRecord",
                      "the SPF record at " + key.name + " does not parse (" +
                          parsed.error().message +
                          "); Mailroom leaves it alone: fix it so Mailroom can merge its terms");
    }
    foreign = withoutTerms(*parsed, old.spfTermHashes);
  }
  auto replaceWith = [&](const spf::Record& r) {
    if (foreign && spf::parseRecord(spfValues[0]).value() == r) return;
    if (foreign) kp.remove.push_back(spfValues[0]);
    if (!r.terms.empty()) kp.add.push_back(spf::renderRecord(r));
  };
  if (!wanted.spf) {  // release our terms; what remains is the foreign record
    if (foreign) replaceWith(*foreign);
    return;
  }
  SpfMerge merged = mergeSpf(foreign.value_or(spf::Record{}), *wanted.spf);
  if (int n = spf::countDnsLookupTerms(merged.record); n > kSpfLookupLimit) {
    return conflict(
        kp, key, old, "SpfLookupLimit",
        "the SPF record at " + key.name + " with Mailroom's terms would have " + std::to_string(n) +
            " DNS-querying terms, over the limit of 10 (RFC 7208 "
            "§4.6.4); nothing was changed: replace include:, a or mx terms by ip4:/ip6:");
  }
  kp.owned.spfTermHashes = merged.ownedTermHashes;
  replaceWith(merged.record);
}

std::vector<std::string> applied(const std::vector<std::string>& before,
                                 const std::vector<std::string>& remove,
                                 const std::vector<std::string>& add) {
  std::vector<std::string> out;
  for (const auto& v : before)
    if (!contains(remove, v)) out.push_back(v);
  for (const auto& v : add)
    if (!contains(out, v)) out.push_back(v);
  return out;
}

Change makeChange(const RecordKey& key, uint32_t ttl, const std::vector<std::string>& before,
                  std::vector<std::string> remove, std::vector<std::string> add) {
  Change c{key, ttl, std::move(add), std::move(remove), before, {}};
  c.after = applied(c.before, c.remove, c.add);
  return c;
}

bool claimsMore(const Ownership& now, const Ownership& old) {
  return !std::includes(old.valueHashes.begin(), old.valueHashes.end(), now.valueHashes.begin(),
                        now.valueHashes.end()) ||
         !std::includes(old.spfTermHashes.begin(), old.spfTermHashes.end(),
                        now.spfTermHashes.begin(), now.spfTermHashes.end());
}

}  // namespace

std::string slotOf(const std::string& name, const std::string& value) {
  std::string n = "." + lower(name) + ".";
  if (spf::isSpfRecord(value)) return "SPF";
  if (n.find("._domainkey.") != std::string::npos) return "DKIM";
  if (n.starts_with("._dmarc.") || lower(value.substr(0, 8)) == "v=dmarc1") return "DMARC";
  return "";
}

Result<Plan> plan(const std::vector<RecordSet>& current, const std::vector<RecordSet>& desired,
                  const std::map<RecordKey, FoundOwnership>& previouslyOwned, const Owner& owner) {
  if (auto v = validateOwner(owner); !v) return v.error();
  auto wantedByKey = indexDesired(desired);
  if (!wantedByKey) return wantedByKey.error();
  auto currentByKey = indexCurrent(current);

  std::map<RecordKey, Wanted> keys = *wantedByKey;
  for (const auto& [key, found] : previouslyOwned) keys.try_emplace(key);

  Plan p;
  std::vector<Change> claims, records, releases;
  for (const auto& [key, wanted] : keys) {
    const RecordSet* cur = currentByKey.contains(key) ? &currentByKey.at(key) : nullptr;
    std::vector<std::string> values = cur ? cur->values : std::vector<std::string>{};
    auto prev = previouslyOwned.find(key);
    Ownership old =
        prev != previouslyOwned.end() ? prev->second.ownership : Ownership{owner, "TXT", {}, {}};

    KeyPlan kp;
    kp.owned.owner = owner;
    planPlainValues(key, values, wanted, old, kp);
    planSpf(key, values, wanted, old, kp);
    p.conflicts.insert(p.conflicts.end(), kp.conflicts.begin(), kp.conflicts.end());

    uint32_t ttl = wanted.ttl ? wanted.ttl : (cur ? cur->ttl : 0);
    if (!kp.add.empty() || !kp.remove.empty()) {
      p.valuesAdded += static_cast<int>(kp.add.size());
      p.valuesRemoved += static_cast<int>(kp.remove.size());
      records.push_back(makeChange(key, ttl, values, kp.remove, kp.add));
    } else if (wantedByKey->contains(key) && kp.conflicts.empty()) {
      ++p.recordSetsInSync;
    }

    std::vector<std::string> raw =
        prev != previouslyOwned.end() ? prev->second.rawValues : std::vector<std::string>{};
    std::vector<std::string> claim;
    if (!kp.owned.empty()) claim.push_back(renderOwnership(kp.owned));
    if (raw == claim) continue;
    RecordKey ownKey{ownershipName(key.name), "TXT"};
    auto ownCur = currentByKey.find(ownKey);
    auto ownBefore =
        ownCur != currentByKey.end() ? ownCur->second.values : std::vector<std::string>{};
    std::vector<std::string> release, add;
    for (const auto& r : raw)
      if (!contains(claim, r)) release.push_back(r);
    for (const auto& c : claim)
      if (!contains(raw, c)) add.push_back(c);
    auto change = makeChange(ownKey, ttl, ownBefore, release, add);
    (claimsMore(kp.owned, old) ? claims : releases).push_back(std::move(change));
  }
  for (auto* group : {&claims, &records, &releases})
    p.changes.insert(p.changes.end(), group->begin(), group->end());
  return p;
}

Result<Plan> plan(const std::vector<RecordSet>& current, const std::vector<RecordSet>& desired,
                  const Owner& owner) {
  return plan(current, desired, readOwnership(current, owner), owner);
}

std::string formatPlan(const Plan& p) {
  std::string out;
  for (const auto& c : p.changes) {
    out += "change " + c.key.type + " " + c.key.name;
    for (const auto& v : c.remove) out += "\n  - \"" + v + "\"";
    for (const auto& v : c.add) out += "\n  + \"" + v + "\"";
    out += "\n";
  }
  for (const auto& c : p.conflicts)
    out += "conflict " + c.key.type + " " + c.key.name + " " + c.reason + ": " + c.message + "\n";
  return out;
}

}  // namespace mailroom::dnspub
