#include "sidecar/compose/compose.h"

#include <gtest/gtest.h>

#include "sidecar/compose/address.h"
#include "sidecar/compose/encoding.h"
#include "tests/unit/sidecar/compose/mime_walk.h"

namespace mailroom::compose {
namespace {

using testing::Entity;
using testing::walk;

Options opts(size_t limit = 0) {
  Options o;
  o.hostname = "sidecar.example";
  o.now = std::chrono::system_clock::from_time_t(1795505400);
  o.maxMessageBytes = limit;
  auto counter = std::make_shared<uint64_t>(0);
  o.random = [counter] { return ++*counter; };
  return o;
}

Structured basic() {
  Structured s;
  s.from = "Sender <sender@example.com>";
  s.to = {"alice@example.net"};
  s.subject = "Hello";
  s.text = "Hi Alice,\nsee you.\n";
  return s;
}

Composed mustCompose(const Structured& s, const EnvelopeInput& e = {}, const Options& o = opts()) {
  auto c = composeStructured(s, e, o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : Composed{};
}

std::string errorOf(const Result<Composed>& r) {
  if (r.ok()) return "OK";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

std::string decodedBody(const Entity& e) {
  std::string cte = testing::lowerCopy(e.header("Content-Transfer-Encoding"));
  if (cte == "base64") return decodeBase64(e.msg.body).value_or("<bad base64>");
  if (cte == "quoted-printable") return decodeQuotedPrintable(e.msg.body).value_or("<bad qp>");
  return e.msg.body;
}

void expectLineLimits(const std::string& msg) {
  size_t start = 0;
  bool inHeader = true;
  while (start < msg.size()) {
    size_t eol = msg.find("\r\n", start);
    ASSERT_NE(eol, std::string::npos) << "message must end in CRLF";
    size_t len = eol - start;
    if (len == 0) inHeader = false;
    EXPECT_LE(len, inHeader ? 78u : 998u) << msg.substr(start, len);
    start = eol + 2;
  }
}

TEST(ComposeStructured, TextOnlyMessage) {
  auto s = basic();
  s.cc = {"Carol <carol@example.org>"};
  s.bcc = {"secret@example.org"};
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e.has_value()) << c.message;
  EXPECT_EQ(e->contentType, "text/plain");
  EXPECT_EQ(e->header("Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(e->header("MIME-Version"), "1.0");
  EXPECT_EQ(e->header("Date"), "Tue, 24 Nov 2026 07:30:00 +0000");
  EXPECT_EQ(e->header("From"), "Sender <sender@example.com>");
  EXPECT_EQ(e->header("To"), "alice@example.net");
  EXPECT_EQ(e->header("Cc"), "Carol <carol@example.org>");
  EXPECT_EQ(e->msg.find("Bcc"), nullptr);
  EXPECT_EQ(c.message.find("secret"), std::string::npos);
  EXPECT_EQ(e->header("Subject"), "Hello");
  EXPECT_EQ(e->header("Message-ID"), c.messageId);
  EXPECT_EQ(c.messageId, "<00000000000000010000000000000002@sidecar.example>");
  EXPECT_EQ(e->msg.body, "Hi Alice,\r\nsee you.\r\n");
  EXPECT_EQ(c.mailFrom, "sender@example.com");
  EXPECT_EQ(c.recipients, (std::vector<std::string>{"alice@example.net", "carol@example.org",
                                                    "secret@example.org"}));
  EXPECT_EQ(c.fromDomain, "example.com");
  EXPECT_FALSE(c.needsSmtpUtf8);
  EXPECT_FALSE(c.eightBit);
  expectLineLimits(c.message);
}

TEST(ComposeStructured, RecipientsDeduplicatedWithCaseInsensitiveDomain) {
  auto s = basic();
  s.to = {"a@Example.NET, A@example.net"};
  s.cc = {"a@example.net"};
  s.bcc = {"<a@EXAMPLE.net>"};
  Composed c = mustCompose(s);
  EXPECT_EQ(c.recipients, (std::vector<std::string>{"a@example.net", "A@example.net"}));
}

TEST(ComposeStructured, OnlyBccGetsUndisclosedRecipientsGroup) {
  auto s = basic();
  s.to.clear();
  s.bcc = {"hidden@example.net"};
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("To"), "undisclosed-recipients:;");
  EXPECT_EQ(c.recipients, std::vector<std::string>{"hidden@example.net"});
}

TEST(ComposeStructured, TextAndHtmlIsAlternative) {
  auto s = basic();
  s.html = "<p>Hi Alice</p>";
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e) << c.message;
  EXPECT_EQ(e->contentType, "multipart/alternative");
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(e->children[0].contentType, "text/plain");
  EXPECT_EQ(e->children[1].contentType, "text/html");
  EXPECT_EQ(decodedBody(e->children[1]), "<p>Hi Alice</p>\r\n");
  EXPECT_NE(e->children[1].header("Content-Type").find("charset=utf-8"), std::string::npos);
}

TEST(ComposeStructured, AttachmentsMixedWithAlternativeAndRelatedInside) {
  auto s = basic();
  s.html = "<p><img src=\"cid:logo@x\"></p>";
  std::string png("\x89PNG\r\n\x1a\n\0\0binary", 16);
  std::string pdf(5000, '\0');
  for (size_t i = 0; i < pdf.size(); ++i) pdf[i] = char(i * 7);
  s.attachments = {{"report.pdf", "application/pdf", pdf, ""},
                   {"logo.png", "image/png", png, "logo@x"}};
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e) << c.message;
  EXPECT_EQ(e->contentType, "multipart/mixed");
  ASSERT_EQ(e->children.size(), 2u);
  const Entity& alt = e->children[0];
  EXPECT_EQ(alt.contentType, "multipart/alternative");
  ASSERT_EQ(alt.children.size(), 2u);
  EXPECT_EQ(alt.children[0].contentType, "text/plain");
  const Entity& rel = alt.children[1];
  EXPECT_EQ(rel.contentType, "multipart/related");
  EXPECT_EQ(testing::param(rel.header("Content-Type"), "type"), "text/html");
  ASSERT_EQ(rel.children.size(), 2u);
  EXPECT_EQ(rel.children[0].contentType, "text/html");
  EXPECT_EQ(rel.children[1].contentType, "image/png");
  EXPECT_EQ(rel.children[1].header("Content-ID"), "<logo@x>");
  EXPECT_EQ(rel.children[1].header("Content-Disposition").rfind("inline", 0), 0u);
  EXPECT_EQ(decodedBody(rel.children[1]), png);
  const Entity& att = e->children[1];
  EXPECT_EQ(att.contentType, "application/pdf");
  EXPECT_EQ(att.header("Content-Disposition"), "attachment; filename=\"report.pdf\"");
  EXPECT_EQ(att.header("Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(decodedBody(att), pdf);
  expectLineLimits(c.message);
}

TEST(ComposeStructured, InlineWithoutHtmlBecomesAnOrdinaryPart) {
  auto s = basic();
  s.attachments = {{"a.txt", "", "hello", "cid1@x"}};
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->contentType, "multipart/mixed");
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(e->children[1].contentType, "application/octet-stream");
}

TEST(ComposeStructured, OneCharacterTextGetsAFinalLineBreak) {  // found by the fuzzer
  auto s = basic();
  s.text = "b";
  auto e = walk(mustCompose(s).message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->msg.body, "b\r\n");
}

TEST(ComposeStructured, AttachmentsOnly) {
  auto s = basic();
  s.text.clear();
  s.attachments = {{"a.bin", "application/octet-stream", "xyz", ""}};
  auto e = walk(mustCompose(s).message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->contentType, "multipart/mixed");
  ASSERT_EQ(e->children.size(), 1u);
}

TEST(ComposeStructured, NonAsciiBodyIsQuotedPrintableAndLongLinesToo) {
  auto s = basic();
  s.text = "Grüße aus Köln\n";
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(decodedBody(*e), "Grüße aus Köln\r\n");
  for (unsigned char ch : c.message) ASSERT_LT(ch, 0x80);
  s.text = std::string(2000, 'a');
  e = walk(mustCompose(s).message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(decodedBody(*e), std::string(2000, 'a') + "\r\n");
}

TEST(ComposeStructured, NonAsciiHeadersBecomeEncodedWords) {
  auto s = basic();
  s.from = "Jörg Müller <joerg@example.com>";
  s.subject = "Grüße — a rather long subject line that will certainly need folding, ünd more";
  s.headers = {{"X-Note", "naïve value"}};
  Composed c = mustCompose(s);
  for (unsigned char ch : c.message) ASSERT_LT(ch, 0x80) << c.message;
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(decodeWords(e->header("Subject")), s.subject);
  EXPECT_EQ(decodeWords(e->header("X-Note")), "naïve value");
  auto from = parseMailbox(e->header("From"));
  ASSERT_TRUE(from.ok()) << from.error().message;
  EXPECT_EQ(from->displayName, "Jörg Müller");
  expectLineLimits(c.message);
  EXPECT_FALSE(c.needsSmtpUtf8);
}

TEST(ComposeStructured, AsciiSubjectThatLooksEncodedIsEncoded) {
  auto s = basic();
  s.subject = "about =?utf-8?q?x?= literally";
  auto e = walk(mustCompose(s).message);
  ASSERT_TRUE(e);
  EXPECT_EQ(decodeWords(e->header("Subject")), s.subject);
}

TEST(ComposeStructured, UnfoldableSubjectIsEncodedAndUnfoldableExtraHeaderRejected) {
  auto s = basic();
  s.subject = "x " + std::string(1200, 'y');
  Composed c = mustCompose(s);
  expectLineLimits(c.message);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(decodeWords(e->header("Subject")), s.subject);
  s = basic();
  s.headers = {{"X-Token", std::string(1200, 't')}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())),
            "headers[\"X-Token\"]: a line over 998 octets that cannot be folded");
}

TEST(ComposeStructured, IdnDomainsAreALabels) {
  auto s = basic();
  s.from = "Verlag <info@bücher.example>";
  s.to = {"user@bücher.example"};
  Composed c = mustCompose(s);
  EXPECT_EQ(c.recipients, std::vector<std::string>{"user@xn--bcher-kva.example"});
  EXPECT_EQ(c.fromDomain, "xn--bcher-kva.example");
  EXPECT_EQ(c.mailFrom, "info@xn--bcher-kva.example");
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("To"), "user@xn--bcher-kva.example");
  EXPECT_FALSE(c.needsSmtpUtf8);
}

TEST(ComposeStructured, Utf8LocalPartNeedsSmtpUtf8) {
  auto s = basic();
  s.to = {"jörg@example.com"};
  Composed c = mustCompose(s);
  EXPECT_TRUE(c.needsSmtpUtf8);
  EXPECT_EQ(c.recipients, std::vector<std::string>{"jörg@example.com"});
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("To"), "jörg@example.com");  // local parts have no ASCII form
}

TEST(ComposeStructured, QuotedLocalPartsAndLiterals) {
  auto s = basic();
  s.to = {"\"john smith\"@example.com", "ops@[198.51.100.7]", "v6@[IPv6:2001:db8::25]"};
  Composed c = mustCompose(s);
  EXPECT_EQ(c.recipients,
            (std::vector<std::string>{"\"john smith\"@example.com", "ops@[198.51.100.7]",
                                      "v6@[IPv6:2001:db8::25]"}));
}

TEST(ComposeStructured, HeaderInjectionIsRejectedNamingTheField) {
  auto s = basic();
  s.subject = "Hi\r\nBcc: victim@example.org";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "subject: CR or LF not allowed");
  s = basic();
  s.subject = "Hi\nthere";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "subject: CR or LF not allowed");
  s = basic();
  s.from = "a@example.com\r\nBcc: victim@example.org";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "from: CR or LF not allowed");
  s = basic();
  s.to = {"ok@example.net", "b@example.net\nBcc: victim@example.org"};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "to[1]: CR or LF not allowed");
  s = basic();
  s.headers = {{"X-Foo", "a\r\nBcc: victim@example.org"}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "headers[\"X-Foo\"]: CR or LF not allowed");
  s = basic();
  s.headers = {{"X-Foo", std::string("a\0b", 3)}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "headers[\"X-Foo\"]: NUL not allowed");
  s = basic();
  s.attachments = {{"a\r\nContent-Type: text/html", "", "x", ""}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())),
            "attachments[0].filename: CR or LF not allowed");
}

TEST(ComposeStructured, InvalidHeaderNamesAndReservedFields) {
  for (const char* name : {"X Foo", "X:Foo", "", "Xé"}) {
    auto s = basic();
    s.headers = {{name, "v"}};
    std::string err = errorOf(composeStructured(s, {}, opts()));
    EXPECT_EQ(err, "headers[\"" + std::string(name) + "\"]: invalid header field name");
  }
  for (const char* name : {"To", "bcc", "Content-Type", "MIME-Version"}) {
    auto s = basic();
    s.headers = {{name, "v@example.com"}};
    EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("headers[\"" + std::string(name), 0),
              0u);
  }
}

TEST(ComposeStructured, ExtraHeadersAndMessageIdOverride) {
  auto s = basic();
  s.headers = {{"List-Unsubscribe", "<https://example.com/u/1>"},
               {"Message-ID", "<fixed-1@app.example>"}};
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->header("List-Unsubscribe"), "<https://example.com/u/1>");
  EXPECT_EQ(e->msg.findAll("Message-ID").size(), 1u);
  EXPECT_EQ(c.messageId, "<fixed-1@app.example>");
  s.headers = {{"Message-ID", "no-brackets"}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("headers[\"Message-ID\"]: ", 0), 0u);
}

TEST(ComposeStructured, AddressErrorsNameTheField) {
  auto s = basic();
  s.to = {"ok@example.net", "not an address"};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("to[1]: ", 0), 0u);
  s = basic();
  s.cc = {"x@xn--zz-zzzzz.example"};
  std::string err = errorOf(composeStructured(s, {}, opts()));
  EXPECT_EQ(err.rfind("cc[0]: ", 0), 0u) << err;
  EXPECT_NE(err.find("internationalized"), std::string::npos) << err;
  s = basic();
  s.from = "";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "from: required");
  s.from = "Nobody";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("from: ", 0), 0u);
  s.from = "a@example.com, b@example.com";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("from: ", 0), 0u);
  s = basic();
  s.replyTo = "broken@";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("replyTo: ", 0), 0u);
  s = basic();
  s.to.clear();
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("to: no recipients", 0), 0u);
  s = basic();
  s.to = {"Group:;"};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("to: no recipients", 0), 0u);
  s = basic();
  s.bcc = {"\"tab\there\"@example.com"};  // valid in a header, not in SMTP
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("bcc[0]: ", 0), 0u);
  s = basic();
  s.attachments = {{"m.eml", "message/rfc822", "x", ""}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("attachments[0].contentType: ", 0), 0u);
  s.attachments = {{"x", "not a type", "x", ""}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("attachments[0].contentType: ", 0), 0u);
  s.attachments = {{"x", "", "x", "bad id"}};
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())).rfind("attachments[0].contentId: ", 0), 0u);
  s = basic();
  s.text = "\xff\xfe";
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts())), "text: not valid UTF-8");
  Options o = opts();
  o.hostname = "";
  EXPECT_EQ(errorOf(composeStructured(basic(), {}, o)).rfind("options.hostname: ", 0), 0u);
}

TEST(ComposeStructured, ExplicitEnvelope) {
  EnvelopeInput env;
  env.hasMailFrom = true;
  env.mailFrom = "";  // null reverse-path
  env.rcptTo = {"x@example.org", "X@EXAMPLE.ORG", "x@example.org"};
  Composed c = mustCompose(basic(), env);
  EXPECT_EQ(c.mailFrom, "");
  EXPECT_EQ(c.recipients, (std::vector<std::string>{"x@example.org", "X@example.org"}));
  env.mailFrom = "bounces+123@bücher.example";
  c = mustCompose(basic(), env);
  EXPECT_EQ(c.mailFrom, "bounces+123@xn--bcher-kva.example");
  env.rcptTo = {"good@example.org", "bad@@example.org"};
  EXPECT_EQ(errorOf(composeStructured(basic(), env, opts())).rfind("envelope.rcptTo[1]: ", 0), 0u);
  env.rcptTo = {};
  env.mailFrom = "no-at-sign";
  EXPECT_EQ(errorOf(composeStructured(basic(), env, opts())).rfind("envelope.mailFrom: ", 0), 0u);
}

TEST(ComposeStructured, SizeLimitMeasuresTheFinalMessage) {
  auto s = basic();
  s.attachments = {{"big.bin", "", std::string(3000, 'x'), ""}};
  Composed c = mustCompose(s);
  size_t size = c.message.size();
  ASSERT_GT(size, 4000u);  // base64 grew it: the limit applies to what is sent
  EXPECT_TRUE(composeStructured(s, {}, opts(size)).ok());
  EXPECT_EQ(errorOf(composeStructured(s, {}, opts(size - 1))), "message: " + std::to_string(size) +
                                                                   " bytes exceeds the limit of " +
                                                                   std::to_string(size - 1));
}

TEST(ComposeStructured, BoundaryNeverOccursInContent) {
  // With the injected counter the first boundary candidate is predictable (calls 1 and 2 make
  // the Message-ID); put it into the text and the composer must pick another.
  std::string first = "=_mr_00000000000000030000000000000004";
  auto s = basic();
  s.html = "<p>x</p>";
  s.text = "--" + first + "\n--" + first + "--\n";
  Composed c = mustCompose(s);
  auto e = walk(c.message);
  ASSERT_TRUE(e) << c.message;
  EXPECT_NE(testing::param(e->header("Content-Type"), "boundary"), first);
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(decodedBody(e->children[0]), mime::normalizeCrlf(s.text));
}

TEST(ComposeStructured, DefaultRandomGivesUniqueIdsAndBoundaries) {
  Options o = opts();
  o.random = nullptr;
  auto s = basic();
  s.html = "<p>x</p>";
  Composed a = mustCompose(s, {}, o), b = mustCompose(s, {}, o);
  EXPECT_NE(a.messageId, b.messageId);
  auto ea = walk(a.message), eb = walk(b.message);
  ASSERT_TRUE(ea && eb);
  EXPECT_NE(testing::param(ea->header("Content-Type"), "boundary"),
            testing::param(eb->header("Content-Type"), "boundary"));
}

TEST(ComposeStructured, ManyRecipientsFoldTheToField) {
  auto s = basic();
  s.to.clear();
  for (int i = 0; i < 30; ++i)
    s.to.push_back("Person Number " + std::to_string(i) + " <p" + std::to_string(i) +
                   "@example.net>");
  Composed c = mustCompose(s);
  expectLineLimits(c.message);
  auto e = walk(c.message);
  ASSERT_TRUE(e);
  auto back = parseAddressList(e->header("To"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->size(), 30u);
  EXPECT_EQ(c.recipients.size(), 30u);
}

// ---- raw messages ----

TEST(ComposeRaw, DerivesEnvelopeStripsBccAddsDateAndMessageId) {
  std::string raw =
      "From: App <app@example.com>\nTo: a@example.net, B <b@example.net>\n"
      "Cc: c@example.net\nBcc: hidden@example.org,\n  other@example.org\n"
      "Subject: hi\n\nbody line\n";
  auto c = composeRaw(raw, {}, opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->mailFrom, "app@example.com");
  EXPECT_EQ(c->fromDomain, "example.com");
  EXPECT_EQ(c->recipients,
            (std::vector<std::string>{"a@example.net", "b@example.net", "c@example.net",
                                      "hidden@example.org", "other@example.org"}));
  EXPECT_EQ(c->message.find("hidden"), std::string::npos);
  EXPECT_EQ(c->message.find("other@"), std::string::npos);
  auto m = mime::parseMessage(c->message);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->find("Date")->value(), "Tue, 24 Nov 2026 07:30:00 +0000");
  EXPECT_EQ(m->find("Message-ID")->value(), c->messageId);
  EXPECT_EQ(m->body, "body line\r\n");
  EXPECT_EQ(c->message.find('\n'), c->message.find("\r\n") + 1);  // CRLF everywhere
  for (size_t i = 0; i < c->message.size(); ++i)
    if (c->message[i] == '\n') {
      ASSERT_EQ(c->message[i - 1], '\r');
    }
  EXPECT_FALSE(c->eightBit);
  EXPECT_FALSE(c->needsSmtpUtf8);
}

TEST(ComposeRaw, KeepsExistingDateAndMessageIdByteExact) {
  std::string raw =
      "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <abc@app.example>\r\n"
      "From: app@example.com\r\nTo: a@example.net\r\nX-Folded: one\r\n\ttwo\r\n\r\nbody\r\n";
  auto c = composeRaw(raw, {}, opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->message, raw);
  EXPECT_EQ(c->messageId, "<abc@app.example>");
}

TEST(ComposeRaw, ExplicitEnvelopeWins) {
  EnvelopeInput env{"", true, {"rcpt@example.org"}};
  auto c = composeRaw("From: app@example.com\r\n\r\nx\r\n", env, opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->mailFrom, "");
  EXPECT_EQ(c->recipients, std::vector<std::string>{"rcpt@example.org"});
}

TEST(ComposeRaw, EightBitAndUtf8Detection) {
  auto c = composeRaw("From: a@example.com\r\nTo: b@example.net\r\n\r\nGrüße\r\n", {}, opts());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->eightBit);
  EXPECT_FALSE(c->needsSmtpUtf8);
  c = composeRaw("From: a@example.com\r\nTo: b@example.net\r\nSubject: Grüße\r\n\r\nx\r\n", {},
                 opts());
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->eightBit);
  EXPECT_TRUE(c->needsSmtpUtf8);
  c = composeRaw("From: jörg@example.com\r\nTo: b@bücher.example\r\n\r\nx\r\n", {}, opts());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->needsSmtpUtf8);
  EXPECT_EQ(c->recipients, std::vector<std::string>{"b@xn--bcher-kva.example"});
  EXPECT_EQ(errorOf(composeRaw("From: a@example.com\r\nSubject: \xff\r\n\r\n", {}, opts())),
            "raw.Subject: not valid UTF-8 (RFC 6532)");
}

TEST(ComposeRaw, Rejects) {
  EXPECT_EQ(errorOf(composeRaw("To: a@example.net\r\n\r\nx", {}, opts())),
            "raw.From: missing (required by RFC 5322 §3.6)");
  EXPECT_EQ(errorOf(composeRaw("From: a@example.com\r\nFrom: b@example.com\r\nTo: "
                               "c@example.net\r\n\r\n",
                               {}, opts()))
                .rfind("raw.From: appears 2 times", 0),
            0u);
  EXPECT_EQ(errorOf(composeRaw("From: a@example.com, b@example.com\r\nTo: c@example.net\r\n\r\n",
                               {}, opts())),
            "raw.From: exactly one mailbox required");
  EXPECT_EQ(errorOf(composeRaw("From: G: a@example.com;\r\nTo: c@example.net\r\n\r\n", {}, opts())),
            "raw.From: exactly one mailbox required");
  EXPECT_EQ(errorOf(composeRaw("From: a@example.com\r\n\r\nx", {}, opts())).rfind("raw.To: no", 0),
            0u);
  EXPECT_EQ(errorOf(composeRaw("From: a@example.com\r\nTo: broken@\r\n\r\nx", {}, opts()))
                .rfind("raw.To: ", 0),
            0u);
  EXPECT_EQ(errorOf(composeRaw("From: nobody\r\nTo: a@example.net\r\n\r\nx", {}, opts()))
                .rfind("raw.From: ", 0),
            0u);
  EXPECT_EQ(
      errorOf(composeRaw(std::string("From: a@example.com\r\nTo: b@example.net\r\n\r\n") + '\0', {},
                         opts()))
          .rfind("raw: NUL byte", 0),
      0u);
  EXPECT_EQ(errorOf(composeRaw("no header here\r\n\r\n", {}, opts())).rfind("raw: ", 0), 0u);
  std::string longLine =
      "From: a@example.com\r\nTo: b@example.net\r\n\r\n" + std::string(999, 'x') + "\r\n";
  EXPECT_EQ(errorOf(composeRaw(longLine, {}, opts())).rfind("raw: line ", 0), 0u);
}

TEST(ComposeRaw, SizeLimitCountsAddedFields) {
  std::string raw = "From: a@example.com\r\nTo: b@example.net\r\n\r\nbody\r\n";
  auto c = composeRaw(raw, {}, opts());
  ASSERT_TRUE(c.ok());
  size_t size = c->message.size();
  ASSERT_GT(size, raw.size());
  EXPECT_TRUE(composeRaw(raw, {}, opts(size)).ok());
  EXPECT_EQ(errorOf(composeRaw(raw, {}, opts(raw.size()))), "message: " + std::to_string(size) +
                                                                " bytes exceeds the limit of " +
                                                                std::to_string(raw.size()));
}

}  // namespace
}  // namespace mailroom::compose
