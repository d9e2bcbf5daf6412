// The IP address family, one vocabulary for lib/, sidecar/ and operator/, spelled as the CRDs
// and the sidecar config spell it ("IPv4", "IPv6"). "No family yet" (a recipient not delivered)
// is std::optional<AddressFamily>; the Transport's "Any, IPv6 first" is a FamilyPolicy over this
// enum, not a third enumerator. No dependencies, so protocol libraries can use it.
#pragma once

#include <optional>
#include <string_view>

namespace mailroom {

enum class AddressFamily { kIpv4, kIpv6 };

constexpr const char* familyName(AddressFamily f) {
  return f == AddressFamily::kIpv4 ? "IPv4" : "IPv6";
}

// "IPv4" or "IPv6", exactly (the CRD enums are case-sensitive).
constexpr std::optional<AddressFamily> parseFamily(std::string_view text) {
  if (text == "IPv4") return AddressFamily::kIpv4;
  if (text == "IPv6") return AddressFamily::kIpv6;
  return std::nullopt;
}

constexpr AddressFamily otherFamily(AddressFamily f) {
  return f == AddressFamily::kIpv4 ? AddressFamily::kIpv6 : AddressFamily::kIpv4;
}

// Which families a sender may use: one only, or both with one tried first per MX host (the
// Transport's addressFamily IPv4 | IPv6 | Any and preferredFamily).
struct FamilyPolicy {
  std::optional<AddressFamily> only;               // unset: Any (both families)
  AddressFamily preferred = AddressFamily::kIpv6;  // with Any: tried first; else unused

  constexpr bool both() const { return !only; }
  constexpr bool allows(AddressFamily f) const { return !only || *only == f; }
  constexpr AddressFamily first() const { return only.value_or(preferred); }
  // `preferred` counts only with Any: an IPv4-only policy is the same whatever it would prefer
  // (the CRD defaults preferredFamily even where it is ignored).
  constexpr bool operator==(const FamilyPolicy& o) const {
    return only == o.only && (only || preferred == o.preferred);
  }
};

// The addressFamily word of a policy: "IPv4", "IPv6" or "Any".
constexpr const char* addressFamilyWord(const FamilyPolicy& p) {
  return p.only ? familyName(*p.only) : "Any";
}

}  // namespace mailroom
