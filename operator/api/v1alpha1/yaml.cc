#include "operator/api/v1alpha1/yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

namespace mailroom::api {
namespace {

Json scalar(const YAML::Node& n) {
  const std::string& text = n.Scalar();
  if (n.Tag() != "?") return text;  // quoted or explicitly tagged: a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex number("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(text, integer)) {
    int64_t v = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(begin, text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
    return text;
  }
  if (std::regex_match(text, number)) return std::stod(text);
  return text;
}

Result<Json> toJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      return scalar(n);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : n) {
        auto v = toJson(item);
        if (!v) return v;
        out.push_back(std::move(v).value());
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar())
          return Error::invalidArgument("line " + std::to_string(kv.first.Mark().line + 1) +
                                        ": only string keys are supported");
        auto v = toJson(kv.second);
        if (!v) return v;
        out[kv.first.Scalar()] = std::move(v).value();
      }
      return out;
    }
  }
  return Json(nullptr);
}

}  // namespace

Result<std::vector<Json>> yamlDocumentsToJson(std::string_view text) {
  try {
    std::vector<Json> out;
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      if (doc.IsNull()) continue;
      auto j = toJson(doc);
      if (!j) return j.error();
      out.push_back(std::move(j).value());
    }
    return out;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("not YAML: ") + e.what());
  }
}

}  // namespace mailroom::api
