#include "operator/controllers/maildomain_status.h"

#include <yaml-cpp/yaml.h>

#include "lib/log/log.h"

namespace mailroom::controllers {
namespace {

void appendString(std::string& out, const std::string& s) {
  log::appendJsonString(out, s);
}

void appendStringList(std::string& out, const std::vector<std::string>& list) {
  out += "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ",";
    appendString(out, list[i]);
  }
  out += "]";
}

std::vector<std::string> stringList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& v : n) out.push_back(v.as<std::string>(""));
  }
  return out;
}

}  // namespace

MailDomainStatus parseStatus(const YAML::Node& status) {
  MailDomainStatus s;
  if (!status || !status.IsMap()) return s;
  s.observedGeneration = status["observedGeneration"].as<int64_t>(0);
  if (const auto recs = status["records"]; recs && recs.IsSequence()) {
    for (const auto& r : recs) {
      s.records.push_back({r["name"].as<std::string>(""), r["type"].as<std::string>(""),
                           r["purpose"].as<std::string>(""), stringList(r["values"]),
                           r["published"].as<bool>(false)});
    }
  }
  if (const auto conds = status["conditions"]; conds && conds.IsSequence()) {
    for (const auto& c : conds) {
      s.conditions.push_back({c["type"].as<std::string>(""), c["status"].as<std::string>(""),
                              c["reason"].as<std::string>(""), c["message"].as<std::string>(""),
                              c["observedGeneration"].as<int64_t>(0),
                              c["lastTransitionTime"].as<std::string>("")});
    }
  }
  s.spf = status["spf"].as<std::string>("");
  s.dkim = status["dkim"].as<std::string>("");
  s.dmarc = status["dmarc"].as<std::string>("");
  return s;
}

Result<ObservedMailDomain> parseObserved(const std::string& objectText) {
  try {
    YAML::Node obj = YAML::Load(objectText);
    if (!obj.IsMap() || !obj["metadata"].IsMap())
      return Error::invalidArgument("object without metadata");
    ObservedMailDomain md;
    YAML::Node meta = obj["metadata"];
    md.namespace_ = meta["namespace"].as<std::string>("");
    md.name = meta["name"].as<std::string>("");
    md.resourceVersion = meta["resourceVersion"].as<std::string>("");
    md.uid = meta["uid"].as<std::string>("");
    md.generation = meta["generation"].as<int64_t>(0);
    md.deleting = meta["deletionTimestamp"] && !meta["deletionTimestamp"].IsNull();
    md.finalizers = stringList(meta["finalizers"]);
    md.spec = parseMailDomainSpec(obj["spec"]);
    md.status = parseStatus(obj["status"]);
    return md;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("MailDomain: ") + e.what());
  }
}

MailDomainStatus desiredStatus(const ObservedMailDomain& md, const DkimPublicKeys& keys,
                               std::chrono::system_clock::time_point now) {
  MailDomainStatus s = md.status;
  s.observedGeneration = md.generation;
  auto set = [&](const char* type, const char* status, const char* reason, std::string msg) {
    kube::setCondition(s.conditions, {type, status, reason, std::move(msg), md.generation, ""},
                       now);
  };
  if (!md.spec.ok()) {
    // Keep the last good records: they describe what may still be published.
    set("RecordsComputed", "False", "InvalidSpec", md.spec.error().message);
    set("Ready", "False", "InvalidSpec", md.spec.error().message);
    return s;
  }
  s.records.clear();
  int pendingKeys = 0;
  for (const auto& r : desiredRecords(*md.spec, keys)) {
    if (r.pending) ++pendingKeys;
    s.records.push_back({r.name, r.type, r.purpose, r.values, false});
  }
  std::string msg = std::to_string(s.records.size()) + " records computed";
  if (pendingKeys) msg += "; " + std::to_string(pendingKeys) + " DKIM keys pending";
  set("RecordsComputed", "True", "RecordsComputed", msg);
  set("Ready", "False", "DNSProviderNotConfigured",
      "publishing through a DNS provider is not implemented yet; status.records lists the "
      "records to publish");
  // Nothing is published yet, so every check is pending until the DNS provider lands.
  s.spf = s.dmarc = s.dkim = "Pending";
  return s;
}

std::string statusMergePatch(const MailDomainStatus& s, const std::string& resourceVersion) {
  std::string out = "{\"metadata\":{\"resourceVersion\":";
  appendString(out, resourceVersion);
  out += "},\"status\":{\"observedGeneration\":" + std::to_string(s.observedGeneration);
  out += ",\"records\":[";
  for (size_t i = 0; i < s.records.size(); ++i) {
    const auto& r = s.records[i];
    if (i) out += ",";
    out += "{\"name\":";
    appendString(out, r.name);
    out += ",\"type\":";
    appendString(out, r.type);
    out += ",\"purpose\":";
    appendString(out, r.purpose);
    out += ",\"values\":";
    appendStringList(out, r.values);
    out += std::string(",\"published\":") + (r.published ? "true" : "false") + "}";
  }
  out += "],\"conditions\":[";
  for (size_t i = 0; i < s.conditions.size(); ++i) {
    const auto& c = s.conditions[i];
    if (i) out += ",";
    out += "{\"type\":";
    appendString(out, c.type);
    out += ",\"status\":";
    appendString(out, c.status);
    out += ",\"reason\":";
    appendString(out, c.reason);
    out += ",\"message\":";
    appendString(out, c.message);
    out += ",\"observedGeneration\":" + std::to_string(c.observedGeneration);
    out += ",\"lastTransitionTime\":";
    appendString(out, c.lastTransitionTime);
    out += "}";
  }
  out += "]";
  for (auto [key, value] : {std::pair{"spf", &s.spf}, {"dkim", &s.dkim}, {"dmarc", &s.dmarc}}) {
    if (value->empty()) continue;
    out += std::string(",\"") + key + "\":";
    appendString(out, *value);
  }
  return out + "}}";
}

FinalizerStep finalizerStep(const ObservedMailDomain& md) {
  bool ours = false;
  for (const auto& f : md.finalizers) ours = ours || f == kFinalizer;
  if (md.deleting) return ours ? FinalizerStep::kCleanup : FinalizerStep::kDone;
  return ours ? FinalizerStep::kApply : FinalizerStep::kAdd;
}

std::string addFinalizerPatch(const std::vector<std::string>& current) {
  std::string fin;
  appendString(fin, kFinalizer);
  if (current.empty()) {
    // "add" on /metadata/finalizers replaces the member; the test makes sure it is still absent
    // (RFC 6902 §4.6: test against null fails if the member exists with a value).
    return "[{\"op\":\"test\",\"path\":\"/metadata/finalizers\",\"value\":null},"
           "{\"op\":\"add\",\"path\":\"/metadata/finalizers\",\"value\":[" +
           fin + "]}]";
  }
  std::string list;
  appendStringList(list, current);
  return "[{\"op\":\"test\",\"path\":\"/metadata/finalizers\",\"value\":" + list +
         "},{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":" + fin + "}]";
}

std::optional<std::string> removeFinalizerPatch(const std::vector<std::string>& current) {
  for (size_t i = 0; i < current.size(); ++i) {
    if (current[i] != kFinalizer) continue;
    std::string list;
    appendStringList(list, current);
    return "[{\"op\":\"test\",\"path\":\"/metadata/finalizers\",\"value\":" + list +
           "},{\"op\":\"remove\",\"path\":\"/metadata/finalizers/" + std::to_string(i) + "\"}]";
  }
  return std::nullopt;
}

}  // namespace mailroom::controllers
