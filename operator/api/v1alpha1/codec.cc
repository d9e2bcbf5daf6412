#include "operator/api/v1alpha1/codec.h"

namespace mailroom::api {

void DecodeErrors::add(const std::string& path, const std::string& message) {
  items_.push_back((path.empty() ? std::string("(root)") : path) + ": " + message);
}

Error DecodeErrors::error() const {
  std::string text;
  for (const auto& item : items_) text += (text.empty() ? "" : "; ") + item;
  return Error::invalidArgument(text);
}

void FieldReader::done() {
  if (lenient_) return;
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (!seen_.contains(it.key())) errors_.add(child(it.key()), "unknown field");
  }
}

Result<Json> parseJson(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Error::invalidArgument(std::string("invalid JSON: ") + e.what());
  }
}

Json mergePatchBetween(const Json& from, const Json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  Json patch = Json::object();
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (!to.contains(it.key())) patch[it.key()] = nullptr;
  }
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto old = from.find(it.key());
    if (old == from.end()) {
      patch[it.key()] = it.value();
    } else if (*old != it.value()) {
      patch[it.key()] =
          old->is_object() && it->is_object() ? mergePatchBetween(*old, *it) : it.value();
    }
  }
  return patch;
}

}  // namespace mailroom::api
