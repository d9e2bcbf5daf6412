#include "lib/auth/dkim/tags.h"

namespace mailroom::dkim {
namespace {

bool isWsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isNameChar(char c) {
  return isAlpha(c) || (c >= '0' && c <= '9') || c == '_';
}
// VALCHAR = %x21-3A / %x3C-7E (everything visible except ';').
bool isValChar(char c) {
  return c >= 0x21 && c <= 0x7e && c != ';';
}

}  // namespace

std::string stripWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!isWsp(c)) out += c;
  return out;
}

const Tag* findTag(const std::vector<Tag>& tags, std::string_view name) {
  for (const auto& t : tags)
    if (t.name == name) return &t;
  return nullptr;
}

Result<std::vector<Tag>> parseTagList(std::string_view text) {
  std::vector<Tag> tags;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view spec = text.substr(pos, end - pos);
    size_t b = 0;
    while (b < spec.size() && isWsp(spec[b])) ++b;
    if (b == spec.size()) {
      // Only a trailing ";" (empty last tag-spec) is allowed.
      if (end != text.size() &&
          text.substr(end + 1).find_first_not_of(" \t\r\n") != std::string_view::npos)
        return Error::invalidArgument("empty tag at offset " + std::to_string(pos));
      break;
    }
    size_t eq = spec.find('=');
    if (eq == std::string_view::npos)
      return Error::invalidArgument("tag at offset " + std::to_string(pos) + " has no '='");
    size_t ne = eq;
    while (ne > b && isWsp(spec[ne - 1])) --ne;
    std::string name(spec.substr(b, ne - b));
    if (name.empty() || !isAlpha(name[0]))
      return Error::invalidArgument("invalid tag name at offset " + std::to_string(pos));
    for (char c : name)
      if (!isNameChar(c)) return Error::invalidArgument("invalid tag name '" + name + "'");
    Tag tag;
    tag.name = name;
    tag.valueBegin = pos + eq + 1;
    tag.valueEnd = end;
    std::string_view raw = spec.substr(eq + 1);
    size_t vb = 0, ve = raw.size();
    while (vb < ve && isWsp(raw[vb])) ++vb;
    while (ve > vb && isWsp(raw[ve - 1])) --ve;
    for (size_t i = vb; i < ve; ++i) {
      char c = raw[i];
      if (c == '\r' || c == '\n') continue;  // folding inside a value
      if (!isValChar(c) && c != ' ' && c != '\t')
        return Error::invalidArgument("tag '" + name + "': invalid character in value");
      tag.value += c;
    }
    for (const auto& t : tags)
      if (t.name == name) return Error::invalidArgument("tag '" + name + "': duplicate tag");
    tags.push_back(std::move(tag));
    if (end == text.size()) break;
    pos = end + 1;
  }
  return tags;
}

std::string renderTagList(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string out;
  for (const auto& [name, value] : tags) {
    if (!out.empty()) out += "; ";
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace mailroom::dkim
