// Strict JSON codecs for the operator's API types (nlohmann::json, the operator's one JSON
// library). Decoding collects every problem with its field path ("spec.dkim.selectors[1].name:
// required") instead of stopping at the first; unknown keys are errors, so a field the CRD
// accepts but the code does not know cannot be silently ignored. Encoding omits absent values
// (nullopt, empty strings and lists), so decode(encode(x)) == x.
//
// A struct opts in with two functions found by argument-dependent lookup:
//   void decodeFields(FieldReader& r, T& out);        // r.required("name", out.name); ...
//   void encodeFields(FieldWriter& w, const T& in);   // w.field("name", in.name); ...
// An enum opts in with a specialization of EnumNames<E> listing its spellings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::api {

using Json = nlohmann::json;

class DecodeErrors {
 public:
  void add(const std::string& path, const std::string& message);
  bool empty() const { return items_.empty(); }
  const std::vector<std::string>& items() const { return items_; }
  // "path: message; path: message" as one invalid-argument error.
  Error error() const;

 private:
  std::vector<std::string> items_;
};

// Spellings of an enum's values, e.g. {{Policy::kNone, "none"}, ...}.
template <class E>
struct EnumNames;

template <class E>
const char* enumName(E value) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (v == value) return name;
  return "";
}

template <class E>
std::optional<E> parseEnum(std::string_view text) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (text == name) return v;
  return std::nullopt;
}

class FieldReader;
class FieldWriter;

template <class T>
concept Record = requires(FieldReader& r, T& t, FieldWriter& w, const T& c) {
  decodeFields(r, t);
  encodeFields(w, c);
};

template <class T>
void decodeValue(const Json& j, const std::string& path, T& out, DecodeErrors& errors);
template <class T>
Json encodeValue(const T& value);

// One JSON object being decoded: each key must be read by required() or optional(); done()
// (called by decodeValue) reports the rest as unknown fields.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path, DecodeErrors& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  template <class T>
  void required(const char* key, T& out) {
    seen_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      errors_.add(child(key), "required");
      return;
    }
    decodeValue(*it, child(key), out, errors_);
  }

  // Absent or null leaves out as it is (its default).
  template <class T>
  void optional(const char* key, T& out) {
    seen_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return;
    decodeValue(*it, child(key), out, errors_);
  }

  // Unknown keys are accepted (objects the API server owns and extends, like metadata).
  void allowUnknown() { lenient_ = true; }

  void fail(const std::string& subpath, const std::string& message) {
    errors_.add(subpath.empty() ? path_ : child(subpath), message);
  }
  const std::string& path() const { return path_; }
  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  void done();

 private:
  const Json& object_;
  std::string path_;
  DecodeErrors& errors_;
  std::set<std::string, std::less<>> seen_;
  bool lenient_ = false;
};

class FieldWriter {
 public:
  template <class T>
  void field(const char* key, const T& value) {
    if constexpr (requires { value.has_value(); }) {
      if (!value.has_value()) return;
      object_[key] = encodeValue(*value);
    } else if constexpr (std::is_same_v<T, std::string> || requires { value.empty(); }) {
      if (value.empty()) return;
      object_[key] = encodeValue(value);
    } else {
      object_[key] = encodeValue(value);
    }
  }
  // Written even when empty (e.g. a list whose emptiness means something).
  template <class T>
  void always(const char* key, const T& value) {
    object_[key] = encodeValue(value);
  }
  Json take() { return std::move(object_); }

 private:
  Json object_ = Json::object();
};

template <class T>
void decodeValue(const Json& j, const std::string& path, T& out, DecodeErrors& errors) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return errors.add(path, "must be a string");
    out = j.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return errors.add(path, "must be a boolean");
    out = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer()) return errors.add(path, "must be an integer");
    auto v = j.get<int64_t>();
    if (v < int64_t(std::numeric_limits<T>::min()) || v > int64_t(std::numeric_limits<T>::max()))
      return errors.add(path, "out of range");
    out = static_cast<T>(v);
  } else if constexpr (std::is_enum_v<T>) {
    if (!j.is_string()) return errors.add(path, "must be a string");
    auto v = parseEnum<T>(j.get<std::string>());
    if (!v) {
      std::string want;
      for (const auto& [value, name] : EnumNames<T>::values)
        want += (want.empty() ? "" : ", ") + std::string(name);
      return errors.add(path, "unknown value \"" + j.get<std::string>() + "\" (want " + want + ")");
    }
    out = *v;
  } else if constexpr (std::is_same_v<T, Json>) {
    out = j;
  } else if constexpr (requires {
                         typename T::value_type;
                         out.has_value();
                       }) {
    typename T::value_type v{};
    decodeValue(j, path, v, errors);
    out = std::move(v);
  } else if constexpr (requires {
                         typename T::value_type;
                         out.push_back({});
                       }) {
    if (!j.is_array()) return errors.add(path, "must be a list");
    out.clear();
    for (size_t i = 0; i < j.size(); ++i) {
      typename T::value_type v{};
      decodeValue(j[i], path + "[" + std::to_string(i) + "]", v, errors);
      out.push_back(std::move(v));
    }
  } else if constexpr (requires { typename T::mapped_type; }) {
    if (!j.is_object()) return errors.add(path, "must be an object");
    out.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
      typename T::mapped_type v{};
      decodeValue(it.value(), path + "." + it.key(), v, errors);
      out.emplace(it.key(), std::move(v));
    }
  } else {
    static_assert(Record<T>, "no JSON codec for this type");
    if (!j.is_object()) return errors.add(path, "must be an object");
    FieldReader r(j, path, errors);
    decodeFields(r, out);
    r.done();
  }
}

template <class T>
Json encodeValue(const T& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                std::is_integral_v<T> || std::is_same_v<T, Json>) {
    return value;
  } else if constexpr (std::is_enum_v<T>) {
    return enumName(value);
  } else if constexpr (requires { value.has_value(); }) {
    return value ? encodeValue(*value) : Json();
  } else if constexpr (requires { typename T::mapped_type; }) {
    Json out = Json::object();
    for (const auto& [k, v] : value) out[k] = encodeValue(v);
    return out;
  } else if constexpr (requires {
                         typename T::value_type;
                         value.begin();
                       }) {
    Json out = Json::array();
    for (const auto& v : value) out.push_back(encodeValue(v));
    return out;
  } else {
    static_assert(Record<T>, "no JSON codec for this type");
    FieldWriter w;
    encodeFields(w, value);
    return w.take();
  }
}

// Decodes a whole value; errors name paths below root ("spec.domain").
template <class T>
Result<T> decode(const Json& j, const std::string& root = {}) {
  DecodeErrors errors;
  T out{};
  decodeValue(j, root, out, errors);
  if (!errors.empty()) return errors.error();
  return out;
}

// Parses JSON text; a syntax error is an invalid-argument error naming the byte offset.
Result<Json> parseJson(std::string_view text);

// The RFC 7386 merge patch that turns `from` into `to`: keys only in `from` become null,
// objects recurse, everything else is replaced. Empty object when they are equal.
Json mergePatchBetween(const Json& from, const Json& to);

}  // namespace mailroom::api
