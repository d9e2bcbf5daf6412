// parseMessageView: the same fields, body and errors as the normalize-then-split parser it
// replaced (kept here as the model), views into the input when its header section is CRLF only,
// and a normalized copy in storage otherwise.
#include <gtest/gtest.h>

#include <random>

#include "lib/mime/message.h"

namespace mailroom::mime {
namespace {

// The previous parseMessage: normalize the whole message, then split it line by line.
Result<Message> modelParse(std::string_view raw) {
  std::string text = normalizeCrlf(raw);
  Message msg;
  size_t pos = 0;
  int lineNo = 0;
  auto fail = [&](const char* what) {
    return Error::invalidArgument("header line " + std::to_string(lineNo) + ": " + what);
  };
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    ++lineNo;
    size_t next = std::min(text.size(), eol + 2);
    if (line.empty()) {
      msg.body = text.substr(next);
      return msg;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (msg.headers.empty()) return fail("continuation line before any header field");
      msg.headers.back().raw += "\r\n";
      msg.headers.back().raw += line;
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return fail("not a header field (no field name and colon)");
      std::string_view name = line.substr(0, colon);
      name = name.substr(0, name.find_last_not_of(" \t") + 1);
      for (unsigned char c : name)
        if (c < 33 || c > 126) return fail("invalid character in field name");
      msg.headers.push_back({std::string(name), std::string(line)});
    }
    pos = next;
  }
  return msg;
}

bool within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST(ParseMessageView, CrlfMessageIsViewedNotCopied) {
  std::string raw = "From: a@example.com\r\nSubject: hi\r\n  there\r\n\r\nbody\nwith bare LF\r\n";
  std::string storage;
  auto v = parseMessageView(raw, storage);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(storage.empty());
  ASSERT_EQ(v->headers.size(), 2u);
  EXPECT_EQ(v->headers[1].name, "Subject");
  EXPECT_EQ(v->headers[1].raw, "Subject: hi\r\n  there");
  EXPECT_EQ(v->headers[1].value(), "hi  there");
  EXPECT_EQ(v->find("SUBJECT"), 1u);
  EXPECT_EQ(v->find("To"), MessageView::npos);
  for (const auto& h : v->headers) EXPECT_TRUE(within(h.raw, raw));
  EXPECT_TRUE(within(v->body, raw));
  EXPECT_EQ(v->body, "body\nwith bare LF\r\n");  // the body as written
}

TEST(ParseMessageView, BareLineEndInHeadersIsNormalizedIntoStorage) {
  std::string raw = "From: a@example.com\nTo: b@example.net\r\n\r\nx";
  std::string storage;
  auto v = parseMessageView(raw, storage);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(storage, normalizeCrlf(raw));
  ASSERT_EQ(v->headers.size(), 2u);
  EXPECT_TRUE(within(v->headers[0].raw, storage));
  EXPECT_EQ(v->body, "x");
}

TEST(ParseMessageView, ViewOfOwnedMessage) {
  auto m = parseMessage("A: 1\r\nB: 2\r\n\r\nbody");
  ASSERT_TRUE(m.ok());
  MessageView v = viewOf(*m);
  ASSERT_EQ(v.headers.size(), 2u);
  EXPECT_EQ(v.headers[1].raw.data(), m->headers[1].raw.data());
  EXPECT_EQ(v.body, "body");
}

TEST(ParseMessageView, MatchesModelOnRandomMessages) {
  std::mt19937 rng(5);  // fixed seed: reproducible
  // Header-ish lines with every kind of line end, folding, bad names and empty lines.
  const char* pieces[] = {"From: a@example.com",
                          "Subject:x",
                          "X-Y : z",
                          " folded",
                          "\tfolded",
                          "no colon",
                          ":empty name",
                          "B\x01d: ctl",
                          "To: b",
                          "",  // an empty line: the body starts after it
                          "body text",
                          "  "};
  const char* ends[] = {"\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n", ""};
  for (int round = 0; round < 20000; ++round) {
    std::string raw;
    int lines = static_cast<int>(rng() % 8);
    for (int i = 0; i < lines; ++i) {
      raw += pieces[rng() % std::size(pieces)];
      raw += ends[rng() % std::size(ends)];
    }
    auto want = modelParse(raw);
    std::string storage;
    auto view = parseMessageView(raw, storage);
    auto got = parseMessage(raw);
    ASSERT_EQ(view.ok(), want.ok()) << testing::PrintToString(raw);
    ASSERT_EQ(got.ok(), want.ok()) << testing::PrintToString(raw);
    if (!want.ok()) {
      EXPECT_EQ(view.error().message, want.error().message) << testing::PrintToString(raw);
      EXPECT_EQ(got.error().message, want.error().message) << testing::PrintToString(raw);
      continue;
    }
    ASSERT_EQ(view->headers.size(), want->headers.size()) << testing::PrintToString(raw);
    ASSERT_EQ(got->headers.size(), want->headers.size()) << testing::PrintToString(raw);
    for (size_t i = 0; i < want->headers.size(); ++i) {
      EXPECT_EQ(view->headers[i].name, want->headers[i].name);
      EXPECT_EQ(view->headers[i].raw, want->headers[i].raw);
      EXPECT_EQ(got->headers[i].name, want->headers[i].name);
      EXPECT_EQ(got->headers[i].raw, want->headers[i].raw);
    }
    EXPECT_EQ(normalizeCrlf(view->body), want->body) << testing::PrintToString(raw);
    EXPECT_EQ(got->body, want->body) << testing::PrintToString(raw);
  }
}

}  // namespace
}  // namespace mailroom::mime
