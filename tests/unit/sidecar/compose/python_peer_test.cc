// Independent peer: Python's email package (email.policy.default) parses composed messages and
// reports defects, decoded headers and decoded parts. Skipped when python3 cannot run.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "sidecar/compose/compose.h"

namespace mailroom::compose {
namespace {

constexpr const char* kScript = R"PY(
import sys, email, email.policy
msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
defects = []
for part in msg.walk():
    defects += [type(d).__name__ for d in part.defects]
    for name, value in part.items():
        defects += [name + ':' + type(d).__name__ for d in getattr(value, 'defects', ())]
print('defects=' + ','.join(defects).encode().hex())
print('subject=' + str(msg['subject']).encode().hex())
f = msg['from'].addresses[0]
print('from_name=' + f.display_name.encode().hex())
print('from_addr=' + f.addr_spec.encode().hex())
print('to=' + ','.join(a.addr_spec for a in msg['to'].addresses).encode().hex())
for part in msg.walk():
    if part.is_multipart():
        print('multipart=' + part.get_content_type().encode().hex())
        continue
    content = part.get_content()
    if isinstance(content, str):
        content = content.encode()
    name = part.get_filename() or ''
    print('part=' + (part.get_content_type() + '|' + name).encode().hex() + ':' + content.hex())
)PY";

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += char(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

struct PyView {
  std::map<std::string, std::string> fields;
  std::vector<std::string> multiparts;
  std::vector<std::pair<std::string, std::string>> parts;  // "type|filename", content
};

bool pythonAvailable() {
  return std::system("python3 -c 'import email.policy' >/dev/null 2>&1") == 0;
}

std::optional<PyView> parseWithPython(const std::string& message) {
  auto dir = std::filesystem::temp_directory_path() /
             ("compose_py_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "script.py") << kScript;
  std::ofstream(dir / "msg.eml", std::ios::binary) << message;
  std::string cmd = "python3 " + (dir / "script.py").string() + " " + (dir / "msg.eml").string();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int rc = pclose(p);
  std::filesystem::remove_all(dir);
  if (rc != 0) return std::nullopt;
  PyView v;
  size_t start = 0;
  while (start < output.size()) {
    size_t eol = output.find('\n', start);
    std::string line = output.substr(start, eol - start);
    start = eol == std::string::npos ? output.size() : eol + 1;
    size_t eq = line.find('=');
    std::string key = line.substr(0, eq), val = line.substr(eq + 1);
    if (key == "part") {
      size_t colon = val.find(':');
      std::string type = unhex(val.substr(0, colon)), content = unhex(val.substr(colon + 1));
      if (type.rfind("text/", 0) == 0) {  // python keeps the CRLF of the wire form
        for (size_t p; (p = content.find("\r\n")) != std::string::npos;) content.erase(p, 1);
      }
      v.parts.emplace_back(type, content);
    } else if (key == "multipart") {
      v.multiparts.push_back(unhex(val));
    } else {
      v.fields[key] = unhex(val);
    }
  }
  return v;
}

Options opts() {
  Options o;
  o.hostname = "sidecar.example";
  o.now = std::chrono::system_clock::from_time_t(1795505400);
  return o;
}

TEST(PythonPeer, FullStructuredMessageParsesWithoutDefects) {
  if (!pythonAvailable()) GTEST_SKIP() << "python3 with the email package not found in PATH";
  Structured s;
  s.from = "\"Jörg Müller, Verlag\" <info@bücher.example>";
  s.to = {"Ånne <anne@example.net>", "\"Smith, J\" <js@example.org>"};
  s.subject = "Grüße — ein ziemlich langer Betreff, der gefaltet werden muss 😀 und noch mehr";
  s.text = "Hallo,\nGrüße aus Köln.\n" + std::string(120, '=') + "\ntrailing space \n";
  s.html = "<p>Hallo <img src=\"cid:logo@mr\"></p>\n";
  std::string bin;
  for (int i = 0; i < 600; ++i) bin += char(i * 31);
  s.attachments = {{"Übersicht über alle Rechnungen des Jahres 2026 (endgültig).pdf",
                    "application/pdf", bin, ""},
                   {"logo.png", "image/png", "\x89PNG-not-really", "logo@mr"}};
  s.headers = {{"X-Campaign", "herbst-2026"}};
  auto c = composeStructured(s, {}, opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto v = parseWithPython(c->message);
  ASSERT_TRUE(v.has_value()) << "python3 failed on:\n" << c->message;
  EXPECT_EQ(v->fields["defects"], "") << c->message;
  EXPECT_EQ(v->fields["subject"], s.subject);
  EXPECT_EQ(v->fields["from_name"], "Jörg Müller, Verlag");
  EXPECT_EQ(v->fields["from_addr"], "info@xn--bcher-kva.example");
  EXPECT_EQ(v->fields["to"], "anne@example.net,js@example.org");
  EXPECT_EQ(v->multiparts, (std::vector<std::string>{"multipart/mixed", "multipart/alternative",
                                                     "multipart/related"}));
  ASSERT_EQ(v->parts.size(), 4u);
  EXPECT_EQ(v->parts[0].first, "text/plain|");
  EXPECT_EQ(v->parts[0].second, s.text);  // python decodes QP and gives \n line ends
  EXPECT_EQ(v->parts[1].first, "text/html|");
  EXPECT_EQ(v->parts[1].second, s.html);
  EXPECT_EQ(v->parts[2].first, "image/png|logo.png");
  EXPECT_EQ(v->parts[3].first, "application/pdf|" + s.attachments[0].filename);
  EXPECT_EQ(v->parts[3].second, bin);
}

// Random header text from a pool that stresses quoting and encoding: specials, quotes,
// backslashes, "=?", multi-byte and 4-byte UTF-8.
std::string randomText(std::mt19937& gen, size_t maxLen) {
  static const std::vector<std::string> pool = {
      "a", "Z", "7", " ", " ", ".", ",", "\"", "\\",   "=?", "?=", "_", "(",    ")",
      "<", ">", ":", ";", "@", "ü", "ß", "€",  "日本", "😀",  "—",  "x", "long", "word"};
  std::string out;
  size_t n = 1 + gen() % maxLen;
  for (size_t i = 0; i < n; ++i) out += pool[gen() % pool.size()];
  // Surrounding whitespace is not significant in header values (RFC 5322 unfolding).
  size_t b = out.find_first_not_of(' '), e = out.find_last_not_of(' ');
  return b == std::string::npos ? "x" : out.substr(b, e - b + 1);
}

TEST(PythonPeer, RandomHeaderTextRoundTrips) {
  if (!pythonAvailable()) GTEST_SKIP() << "python3 with the email package not found in PATH";
  std::mt19937 gen(2026);
  for (int round = 0; round < 12; ++round) {
    Structured s;
    std::string name = randomText(gen, 20);
    std::string quotedName;
    for (char ch : name) {
      if (ch == '"' || ch == '\\') quotedName += '\\';
      quotedName += ch;
    }
    s.from = "\"" + quotedName + "\" <from@example.com>";
    s.to = {"to@example.net"};
    s.subject = randomText(gen, 60);
    s.text = randomText(gen, 200);
    std::string filename = randomText(gen, 40);
    s.attachments = {{filename, "application/octet-stream", "data", ""}};
    auto c = composeStructured(s, {}, opts());
    ASSERT_TRUE(c.ok()) << c.error().message;
    auto v = parseWithPython(c->message);
    ASSERT_TRUE(v.has_value()) << c->message;
    EXPECT_EQ(v->fields["defects"], "") << c->message;
    EXPECT_EQ(v->fields["subject"], s.subject) << c->message;
    // Python's phrase parser collapses runs of spaces inside encoded-words (RFC 2047 keeps
    // them; our own decoder does), so compare with runs collapsed when it was encoded.
    std::string expected = name;
    if (c->message.find("From: =?") != std::string::npos)
      for (size_t p; (p = expected.find("  ")) != std::string::npos;) expected.erase(p, 1);
    EXPECT_EQ(v->fields["from_name"], expected) << c->message;
    ASSERT_EQ(v->parts.size(), 2u) << c->message;
    EXPECT_EQ(v->parts[0].second, s.text + "\n");
    EXPECT_EQ(v->parts[1].first, "application/octet-stream|" + filename) << c->message;
  }
}

TEST(PythonPeer, RawMessageStaysParseable) {
  if (!pythonAvailable()) GTEST_SKIP() << "python3 with the email package not found in PATH";
  auto c = composeRaw(
      "From: App <app@example.com>\nTo: a@example.net\nBcc: b@example.net\nSubject: x\n\nhi\n", {},
      opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto v = parseWithPython(c->message);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->fields["defects"], "");
  EXPECT_EQ(v->fields["to"], "a@example.net");
  ASSERT_EQ(v->parts.size(), 1u);
  EXPECT_EQ(v->parts[0].second, "hi\n");
}

}  // namespace
}  // namespace mailroom::compose
