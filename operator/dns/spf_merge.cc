#include "operator/dns/spf_merge.h"

#include <algorithm>

#include "operator/dns/registry.h"

namespace mailroom::dnspub {

namespace {

bool isAll(const spf::Term& t) {
  auto* m = std::get_if<spf::Mechanism>(&t);
  return m && m->kind == spf::MechanismKind::kAll;
}
bool isModifier(const spf::Term& t, std::string_view name) {
  auto* m = std::get_if<spf::Modifier>(&t);
  return m && m->name == name;
}
bool isMechanism(const spf::Term& t) {
  return std::holds_alternative<spf::Mechanism>(t);
}

const spf::Term* findPolicy(const spf::Record& r) {
  for (const auto& t : r.terms)
    if (isAll(t)) return &t;
  for (const auto& t : r.terms)
    if (isModifier(t, "redirect")) return &t;
  return nullptr;
}

bool hasModifierNamed(const spf::Record& r, const std::string& name) {
  return std::any_of(r.terms.begin(), r.terms.end(),
                     [&](const spf::Term& t) { return isModifier(t, name); });
}

}  // namespace

SpfMerge mergeSpf(const spf::Record& foreign, const spf::Record& desired) {
  std::set<std::string> present;
  for (const auto& t : foreign.terms) present.insert(spfTermHash(t));
  std::vector<spf::Term> ours;
  for (const auto& t : desired.terms) {
    if (isMechanism(t) && !isAll(t) && present.insert(spfTermHash(t)).second) ours.push_back(t);
  }
  const spf::Term* desiredPolicy = findPolicy(desired);
  bool foreignHasPolicy = findPolicy(foreign) != nullptr;
  if (!foreignHasPolicy && desiredPolicy && isAll(*desiredPolicy)) ours.push_back(*desiredPolicy);

  // Ours go just before the foreign "all", else after the last foreign mechanism, so that the
  // foreign terms keep their order and removing ours gives the foreign record back unchanged.
  auto& ft = foreign.terms;
  auto at = std::find_if(ft.begin(), ft.end(), isAll);
  if (at == ft.end()) {
    auto lastMech = std::find_if(ft.rbegin(), ft.rend(), isMechanism);
    at = lastMech == ft.rend() ? ft.begin() : lastMech.base();
  }
  SpfMerge out;
  out.record.terms.assign(ft.begin(), at);
  out.record.terms.insert(out.record.terms.end(), ours.begin(), ours.end());
  out.record.terms.insert(out.record.terms.end(), at, ft.end());
  for (const auto& t : desired.terms) {
    auto* m = std::get_if<spf::Modifier>(&t);
    if (!m || hasModifierNamed(foreign, m->name)) continue;
    if (m->name == "redirect" && (foreignHasPolicy || (desiredPolicy && isAll(*desiredPolicy))))
      continue;
    ours.push_back(t);
    out.record.terms.push_back(t);
  }
  for (const auto& t : ours) out.ownedTermHashes.insert(spfTermHash(t));
  return out;
}

spf::Record withoutTerms(const spf::Record& record, const std::set<std::string>& termHashes) {
  spf::Record out;
  for (const auto& t : record.terms) {
    if (!termHashes.contains(spfTermHash(t))) out.terms.push_back(t);
  }
  return out;
}

}  // namespace mailroom::dnspub
