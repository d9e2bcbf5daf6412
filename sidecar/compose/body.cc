#include "sidecar/compose/body.h"

#include <cctype>
#include <cstdio>
#include <optional>

#include "lib/mime/message.h"
#include "sidecar/compose/encoding.h"

namespace mailroom::compose {
namespace {

bool sevenBitClean(std::string_view crlfText) {
  size_t lineLen = 0;
  for (size_t i = 0; i < crlfText.size(); ++i) {
    unsigned char c = crlfText[i];
    if (c >= 0x80 || c == 0) return false;
    if (c == '\r' && i + 1 < crlfText.size() && crlfText[i + 1] == '\n') {
      lineLen = 0;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') return false;
    if (++lineLen > 998) return false;  // RFC 5322 §2.1.1 hard limit
  }
  return true;
}

// RFC 2045 §5.1 token: printable ASCII except SPACE and tspecials.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 ||
        std::string_view("()<>@,;:\\\"/[]?=").find(char(c)) != std::string_view::npos)
      return false;
  return true;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Part textPart(std::string_view text, std::string_view subtype) {
  std::string crlf = mime::normalizeCrlf(text);
  if (!crlf.empty() && !crlf.ends_with("\r\n")) crlf += "\r\n";
  Part p;
  p.headers = "Content-Type: text/" + std::string(subtype) + "; charset=utf-8\r\n";
  if (sevenBitClean(crlf)) {
    p.headers += "Content-Transfer-Encoding: 7bit\r\n";
    p.body = std::move(crlf);
  } else {
    p.headers += "Content-Transfer-Encoding: quoted-printable\r\n";
    p.body = encodeQuotedPrintable(crlf);
  }
  return p;
}

Result<Part> attachmentPart(const Attachment& a, const std::string& field) {
  std::string type = a.contentType.empty() ? "application/octet-stream" : a.contentType;
  std::string_view mediaType(type);
  std::string params;
  if (size_t semi = mediaType.find(';'); semi != std::string_view::npos) {
    params = std::string(mediaType.substr(semi));
    mediaType = mediaType.substr(0, semi);
    while (!mediaType.empty() && mediaType.back() == ' ') mediaType.remove_suffix(1);
  }
  size_t slash = mediaType.find('/');
  if (slash == std::string_view::npos || !isToken(mediaType.substr(0, slash)) ||
      !isToken(mediaType.substr(slash + 1)))
    return Error::invalidArgument(field + ".contentType: \"" + type +
                                  "\" is not a type/subtype media type");
  if (!isAscii(params))
    return Error::invalidArgument(field + ".contentType: parameters must be ASCII");
  std::string top(mediaType.substr(0, slash));
  // RFC 2045 §6.4: composite types may not be base64-encoded.
  if (mime::iequals(top, "multipart") || mime::iequals(top, "message"))
    return Error::invalidArgument(field + ".contentType: " + top +
                                  "/* cannot be attached as base64; send it as "
                                  "application/octet-stream or compose the message raw");
  if (!isValidUtf8(a.filename)) return Error::invalidArgument(field + ".filename: not valid UTF-8");
  bool isInline = !a.contentId.empty();
  std::string cid = a.contentId;
  if (isInline) {
    if (cid.size() >= 2 && cid.front() == '<' && cid.back() == '>')
      cid = cid.substr(1, cid.size() - 2);
    for (unsigned char c : cid)
      if (c <= 32 || c >= 127 ||
          std::string_view("<>\"()[],;:\\").find(char(c)) != std::string_view::npos)
        return Error::invalidArgument(field + ".contentId: \"" + a.contentId +
                                      "\" has characters not allowed in a Content-ID");
    if (cid.empty() || cid.size() > 250)
      return Error::invalidArgument(field + ".contentId: must be 1 to 250 characters");
  }
  Part p;
  std::string ct = "Content-Type: " + std::string(mediaType) + params;
  if (!a.filename.empty()) ct += encodeParameter("name", a.filename, ct.size());
  p.headers = ct + "\r\n";
  std::string cd = std::string("Content-Disposition: ") + (isInline ? "inline" : "attachment");
  if (!a.filename.empty()) cd += encodeParameter("filename", a.filename, cd.size());
  p.headers += cd + "\r\n";
  if (isInline) p.headers += "Content-ID: <" + cid + ">\r\n";
  p.headers += "Content-Transfer-Encoding: base64\r\n";
  p.body = encodeBase64(a.content);
  return p;
}

Part multipart(std::string_view subtype, std::vector<Part> children,
               const std::function<uint64_t()>& random, std::string_view extraParams) {
  // Rendered once and moved along: bodies can be tens of megabytes.
  std::vector<std::string> rendered;
  for (auto& c : children) {
    std::string r = std::move(c.headers);
    r += "\r\n";
    r += c.body;
    c.body.clear();
    c.body.shrink_to_fit();
    rendered.push_back(std::move(r));
  }
  std::string boundary;
  // RFC 2046 §5.1.1: the boundary must not occur in any encapsulated part. A 128-bit random
  // value practically never does, but checking makes it a guarantee, not a probability.
  while (true) {
    uint64_t hi = random(), lo = random();
    boundary = "=_mr_" + hex64(hi) + hex64(lo);
    bool clash = false;
    for (const auto& r : rendered)
      if (r.find(boundary) != std::string::npos) clash = true;
    if (!clash) break;
  }
  Part p;
  p.headers = "Content-Type: multipart/" + std::string(subtype) + ";\r\n boundary=\"" + boundary +
              "\"" + std::string(extraParams) + "\r\n";
  for (const auto& r : rendered) {
    p.body += "--" + boundary + "\r\n";
    p.body += r;
    p.body += "\r\n";
  }
  p.body += "--" + boundary + "--\r\n";
  return p;
}

Result<Part> buildBody(const Structured& in, const std::function<uint64_t()>& random) {
  std::vector<Part> inlineParts, attached;
  for (size_t i = 0; i < in.attachments.size(); ++i) {
    auto p = attachmentPart(in.attachments[i], "attachments[" + std::to_string(i) + "]");
    if (!p.ok()) return p.error();
    // Inline parts only make sense next to the HTML that references them (RFC 2387); without
    // HTML they are ordinary parts of the mixed body (they keep their Content-ID).
    bool related = !in.attachments[i].contentId.empty() && !in.html.empty();
    (related ? inlineParts : attached).push_back(std::move(*p));
  }
  std::optional<Part> text, html, main;
  if (!in.text.empty()) text = textPart(in.text, "plain");
  if (!in.html.empty()) {
    html = textPart(in.html, "html");
    if (!inlineParts.empty()) {
      std::vector<Part> children;
      children.push_back(std::move(*html));
      for (auto& p : inlineParts) children.push_back(std::move(p));
      html = multipart("related", std::move(children), random, ";\r\n type=\"text/html\"");
    }
  }
  if (text && html) {
    std::vector<Part> children;
    children.push_back(std::move(*text));
    children.push_back(std::move(*html));
    main = multipart("alternative", std::move(children), random);
  } else if (text) {
    main = std::move(text);
  } else if (html) {
    main = std::move(html);
  }
  if (attached.empty()) return main ? std::move(*main) : textPart("", "plain");
  std::vector<Part> children;
  if (main) children.push_back(std::move(*main));
  for (auto& a : attached) children.push_back(std::move(a));
  return multipart("mixed", std::move(children), random);
}

}  // namespace mailroom::compose
