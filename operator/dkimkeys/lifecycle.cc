#include "operator/dkimkeys/lifecycle.h"

#include <algorithm>

#include "lib/auth/dkim/keys.h"

namespace mailroom::dkimkeys {
namespace {

constexpr size_t kMaxSelector = 63;  // the CRD's bound on a selector name

void stamp(KeyState& key, KeyPhase to, TimePoint now) {
  key.phase = to;
  switch (to) {
    case KeyPhase::kPending:
      break;
    case KeyPhase::kPublished:
      key.publishedAt = now;
      break;
    case KeyPhase::kActive:
      key.activatedAt = now;
      break;
    case KeyPhase::kRetiring:
      key.retiringAt = now;
      break;
    case KeyPhase::kRevoked:
      key.revokedAt = now;
      break;
  }
}

bool matches(const KeyState& key, const SelectorSpec& spec) {
  if (key.algorithm != spec.algorithm) return false;
  return spec.algorithm != dkim::Algorithm::kRsaSha256 || key.bits == spec.rsaBits();
}

bool unused(KeyPhase p) {
  return p == KeyPhase::kPending || p == KeyPhase::kPublished;
}

// The working state of one planning step: the keys with the phases changed so far.
class Planner {
 public:
  explicit Planner(const LifecycleInput& in) : in_(in), keys_(in.keys) {
    usedNames_ = in.usedSelectors;
    for (const auto& k : keys_) usedNames_.insert(k.selector);
    for (const auto& s : in.selectors) specNames_.insert(s.name);
  }

  LifecyclePlan run() {
    for (auto& k : keys_)
      if (k.phase == KeyPhase::kPending && in_.served.count(k.selector))
        change(k, KeyPhase::kPublished);
    for (const auto& spec : in_.selectors) planSelector(spec);
    for (auto& k : keys_) {
      if (specNames_.count(k.configuredSelector) || removed(k)) continue;
      // The selector left the spec: stop signing, keep the record for mail in flight.
      if (k.phase == KeyPhase::kActive) change(k, KeyPhase::kRetiring);
      if (unused(k.phase)) remove(k);
    }
    for (auto& k : keys_) expire(k);
    finish();
    return std::move(plan_);
  }

 private:
  void change(KeyState& k, KeyPhase to) {
    stamp(k, to, in_.now);
    plan_.changes.push_back({k.selector, to});
  }
  void remove(const KeyState& k) { plan_.remove.push_back(k.selector); }
  bool removed(const KeyState& k) const {
    return std::find(plan_.remove.begin(), plan_.remove.end(), k.selector) != plan_.remove.end();
  }

  void planSelector(const SelectorSpec& spec) {
    std::vector<KeyState*> active, fresh;
    bool anyKey = false;
    for (auto& k : keys_) {
      if (k.configuredSelector != spec.name) continue;
      anyKey = true;
      if (k.phase == KeyPhase::kActive) active.push_back(&k);
      if (unused(k.phase)) fresh.push_back(&k);
    }
    auto newest = [](auto byTime) {
      return [byTime](const KeyState* a, const KeyState* b) { return byTime(*a) > byTime(*b); };
    };
    std::sort(active.begin(), active.end(),
              newest([](const KeyState& k) { return k.activatedAt.value_or(k.createdAt); }));
    std::sort(fresh.begin(), fresh.end(), newest([](const KeyState& k) { return k.createdAt; }));
    // Only one key signs per selector; any other (a crash between two writes) retires.
    for (size_t i = 1; i < active.size(); ++i) change(*active[i], KeyPhase::kRetiring);
    KeyState* current = active.empty() ? nullptr : active.front();

    // The successor is the newest unused key made for the current spec; other unused keys never
    // signed anything, so they go without a grace period.
    KeyState* successor = nullptr;
    for (KeyState* k : fresh) {
      if (!successor && matches(*k, spec)) {
        successor = k;
      } else {
        remove(*k);
      }
    }
    if (successor && successor->phase == KeyPhase::kPublished) {
      change(*successor, KeyPhase::kActive);
      if (current) change(*current, KeyPhase::kRetiring);
      current = successor;
      successor = nullptr;
    }
    if (successor) return;  // waiting for its record to be served
    if (current && matches(*current, spec) && !rotationDue(*current, spec)) return;
    // The configured name only for the very first key: any other key of this selector means
    // the name has been in use.
    generate(spec, !anyKey && !usedNames_.count(spec.name));
  }

  bool rotationDue(const KeyState& k, const SelectorSpec& spec) const {
    return spec.rotation && k.activatedAt.value_or(k.createdAt) + *spec.rotation <= in_.now;
  }

  void generate(const SelectorSpec& spec, bool firstKey) {
    std::set<std::string> taken = usedNames_;
    taken.insert(specNames_.begin(), specNames_.end());
    std::string name = firstKey ? spec.name : successorSelector(spec.name, taken);
    usedNames_.insert(name);
    plan_.generate.push_back({name, spec.name, spec.algorithm, spec.keySize});
  }

  void expire(KeyState& k) {
    if (removed(k)) return;
    const auto& o = in_.options;
    if (k.phase == KeyPhase::kRetiring && k.retiringAt.value_or(in_.now) + o.gracePeriod <= in_.now)
      change(k, KeyPhase::kRevoked);
    if (k.phase == KeyPhase::kRevoked &&
        k.revokedAt.value_or(in_.now) + o.revokedLifetime <= in_.now)
      remove(k);
  }

  void due(TimePoint t) {
    if (t > in_.now && (!plan_.nextDue || t < *plan_.nextDue)) plan_.nextDue = t;
  }

  void finish() {
    std::map<std::string, const SelectorSpec*> specs;
    for (const auto& s : in_.selectors) specs[s.name] = &s;
    for (const auto& k : keys_) {
      if (removed(k)) continue;
      plan_.records[k.selector] = k.phase == KeyPhase::kRevoked ? kRevokedRecord : k.txtValue;
      if (k.phase == KeyPhase::kPending) plan_.awaitingDns.push_back(k.selector);
      if (k.phase == KeyPhase::kActive) {
        plan_.active[k.configuredSelector] = k.selector;
        auto spec = specs.find(k.configuredSelector);
        if (spec != specs.end() && spec->second->rotation)
          due(k.activatedAt.value_or(k.createdAt) + *spec->second->rotation);
      }
      if (k.phase == KeyPhase::kRetiring && k.retiringAt)
        due(*k.retiringAt + in_.options.gracePeriod);
      if (k.phase == KeyPhase::kRevoked && k.revokedAt)
        due(*k.revokedAt + in_.options.revokedLifetime);
    }
  }

  const LifecycleInput& in_;
  std::vector<KeyState> keys_;
  std::set<std::string> usedNames_, specNames_;
  LifecyclePlan plan_;
};

// The N of "<name>-r<N>" when selector has that form for name (0 otherwise).
long revisionOf(const std::string& selector, const std::string& name) {
  if (selector.size() <= name.size() + 2 || selector.compare(0, name.size(), name) != 0 ||
      selector.compare(name.size(), 2, "-r") != 0)
    return 0;
  std::string digits = selector.substr(name.size() + 2);
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
  return std::stol(digits);
}

}  // namespace

int SelectorSpec::rsaBits() const {
  if (algorithm != dkim::Algorithm::kRsaSha256) return 0;
  return keySize.value_or(dkim::kDefaultRsaBits);
}

LifecyclePlan planKeys(const LifecycleInput& input) {
  return Planner(input).run();
}

std::vector<KeyState> applyPlan(std::vector<KeyState> keys, const LifecyclePlan& plan,
                                TimePoint now) {
  for (const auto& c : plan.changes)
    for (auto& k : keys)
      if (k.selector == c.selector) stamp(k, c.to, now);
  std::erase_if(keys, [&](const KeyState& k) {
    return std::find(plan.remove.begin(), plan.remove.end(), k.selector) != plan.remove.end();
  });
  return keys;
}

std::string successorSelector(const std::string& name, const std::set<std::string>& used) {
  long n = 0;
  for (const auto& s : used) n = std::max(n, revisionOf(s, name));
  for (++n;; ++n) {
    std::string suffix = "-r" + std::to_string(n);
    std::string base = name.substr(0, std::min(name.size(), kMaxSelector - suffix.size()));
    // Cutting may leave the last label ending in '-' or '.', which a DNS label cannot.
    while (!base.empty() && (base.back() == '-' || base.back() == '.')) base.pop_back();
    std::string candidate = base + suffix;
    if (!used.count(candidate)) return candidate;
  }
}

}  // namespace mailroom::dkimkeys
