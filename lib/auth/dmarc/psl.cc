#include "lib/auth/dmarc/psl.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

namespace mailroom::dmarc {
namespace {

std::string normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> labels(std::string_view name) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      out.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// The last n labels of name, joined.
std::string suffix(const std::vector<std::string_view>& l, size_t n) {
  std::string out;
  for (size_t i = l.size() - n; i < l.size(); ++i) {
    if (!out.empty()) out += '.';
    out += l[i];
  }
  return out;
}

}  // namespace

PublicSuffixList parsePublicSuffixList(std::string_view text) {
  PublicSuffixList list;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::string_view l = line;
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.remove_prefix(1);
    if (l.empty() || l.starts_with("//")) continue;
    l = l.substr(0, l.find_first_of(" \t\r"));
    if (l.starts_with("!")) {
      list.exceptions.insert(normalize(l.substr(1)));
    } else if (l.starts_with("*.")) {
      list.wildcards.insert(normalize(l.substr(2)));
    } else {
      list.rules.insert(normalize(l));
    }
  }
  return list;
}

Result<PublicSuffixList> loadPublicSuffixList(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::notFound("cannot read public suffix list " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto list = parsePublicSuffixList(text.str());
  if (list.size() == 0) return Error::invalidArgument("no rules in public suffix list " + path);
  return list;
}

std::string publicSuffix(std::string_view domain, const PublicSuffixList& list) {
  std::string name = normalize(domain);
  auto l = labels(name);
  if (name.empty()) return name;
  // Walk from the longest candidate down; the first hit has the most labels.
  for (size_t n = l.size(); n >= 1; --n) {
    std::string cand = suffix(l, n);
    // An exception rule makes its parent the suffix ("!www.ck": www.ck's suffix is "ck").
    if (list.exceptions.count(cand)) return suffix(l, n - 1);
    if (list.rules.count(cand)) return cand;
    if (n >= 2 && list.wildcards.count(suffix(l, n - 1))) return cand;
  }
  return suffix(l, 1);  // the default rule "*"
}

std::string orgDomain(std::string_view domain, const PublicSuffixList& list) {
  std::string name = normalize(domain);
  auto l = labels(name);
  std::string ps = publicSuffix(name, list);
  size_t psLabels = ps.empty() ? 0 : labels(ps).size();
  if (psLabels >= l.size()) return name;
  return suffix(l, psLabels + 1);
}

}  // namespace mailroom::dmarc
