// BodyCanonicalizer (pieces in, chunks out) and the header fast path against the line-by-line
// models of §3.4 (canon_models.h): pieces split anywhere (a CRLF, a WSP run or trailing empty
// lines across a boundary), bodies past one output chunk, and the kAny line-end mode against
// lib/mime normalizeCrlf followed by the wire-form canonicalization.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/auth/dkim/canon.h"
#include "lib/mime/message.h"
#include "tests/unit/lib/auth/dkim/canon_models.h"

namespace mailroom::dkim {
namespace {

using testutil::relaxedBodyModel;
using testutil::relaxedHeaderModel;
using testutil::simpleBodyModel;

std::string model(Canon canon, std::string_view body) {
  return canon == Canon::kRelaxed ? relaxedBodyModel(body) : simpleBodyModel(body);
}

// The expected canonical body for body in the given line-end mode.
std::string expected(Canon canon, LineEnds ends, std::string_view body) {
  return model(canon, ends == LineEnds::kAny ? mime::normalizeCrlf(body) : std::string(body));
}

struct Output {
  std::string bytes;
  std::vector<size_t> chunks;  // sizes handed to the sink
};

// Feeds body in pieces ending at the given cut offsets (ascending, within body).
Output canonicalizeInPieces(Canon canon, LineEnds ends, std::string_view body,
                            const std::vector<size_t>& cuts) {
  Output out;
  BodyCanonicalizer c(
      canon,
      [&](std::string_view chunk) {
        out.bytes.append(chunk);
        out.chunks.push_back(chunk.size());
      },
      ends);
  size_t at = 0;
  for (size_t cut : cuts) {
    c.update(body.substr(at, cut - at));
    at = cut;
  }
  c.update(body.substr(at));
  c.finish();
  return out;
}

std::string canonicalizeBytewise(Canon canon, LineEnds ends, std::string_view body) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
  return canonicalizeInPieces(canon, ends, body, cuts).bytes;
}

constexpr Canon kCanons[] = {Canon::kSimple, Canon::kRelaxed};
constexpr LineEnds kEnds[] = {LineEnds::kCrlf, LineEnds::kAny};

TEST(BodyCanonicalizer, CrlfSplitAcrossPieces) {
  // kCrlf: "\r" | "\n" is one line end, and "\r" | "x" leaves the CR as content.
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "a\r\nb", {2}).bytes,
            "a\r\nb\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "a\rb", {2}).bytes, "a\rb\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kSimple, LineEnds::kCrlf, "a\r", {2}).bytes, "a\r\r\n");
  // kAny: "\r" | "\n" is still one line end, not two.
  EXPECT_EQ(canonicalizeInPieces(Canon::kSimple, LineEnds::kAny, "a\r\n\r\nb", {2, 4}).bytes,
            "a\r\n\r\nb\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kSimple, LineEnds::kAny, "a\r\rb", {2}).bytes,
            "a\r\n\r\nb\r\n");
}

TEST(BodyCanonicalizer, WhitespaceRunsAcrossPieces) {
  // One SP for the whole run wherever it is cut; none when the run ends the line.
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "a  \t  b\r\n", {2, 3, 5}).bytes,
            "a b\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "a \t \r\nb", {3, 4, 5}).bytes,
            "a\r\nb\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kAny, "a  ", {2}).bytes, "a\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "  a", {1}).bytes, " a\r\n");
}

TEST(BodyCanonicalizer, TrailingEmptyLinesAcrossPieces) {
  // Held back across pieces; written when text follows, dropped at the end.
  std::string body = "a\r\n\r\n \t\r\n\r\n";
  for (size_t cut = 1; cut < body.size(); ++cut) {
    for (Canon canon : kCanons) {
      EXPECT_EQ(canonicalizeInPieces(canon, LineEnds::kCrlf, body, {cut}).bytes, model(canon, body))
          << cut;
      std::string inner = body + "b";
      EXPECT_EQ(canonicalizeInPieces(canon, LineEnds::kCrlf, inner, {cut}).bytes,
                model(canon, inner))
          << cut;
    }
  }
  EXPECT_EQ(canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "\r\n\r\n", {2}).bytes, "");
  EXPECT_EQ(canonicalizeInPieces(Canon::kSimple, LineEnds::kCrlf, "\r\n\r\n", {2}).bytes, "\r\n");
  EXPECT_EQ(canonicalizeInPieces(Canon::kSimple, LineEnds::kAny, "", {}).bytes, "\r\n");
}

TEST(BodyCanonicalizer, EmptyPiecesChangeNothing) {
  EXPECT_EQ(
      canonicalizeInPieces(Canon::kRelaxed, LineEnds::kCrlf, "a \r\nb", {0, 0, 2, 2, 5}).bytes,
      "a\r\nb\r\n");
}

// Whole, in the given pieces and (optionally) byte by byte: every way of feeding `s` gives the
// models' canonical form, for every canonicalization and line-end mode.
void expectEveryWayMatchesModel(const std::string& s, const std::vector<size_t>& cuts,
                                bool bytewise) {
  for (Canon canon : kCanons) {
    for (LineEnds ends : kEnds) {
      std::string want = expected(canon, ends, s);
      const std::string what = std::string(canonName(canon)) + " " + testing::PrintToString(s);
      ASSERT_EQ(canonicalizeInPieces(canon, ends, s, {}).bytes, want) << what;
      ASSERT_EQ(canonicalizeInPieces(canon, ends, s, cuts).bytes, want) << what;
      if (bytewise) ASSERT_EQ(canonicalizeBytewise(canon, ends, s), want) << what;
    }
  }
}

TEST(BodyCanonicalizer, MatchesModelsOnRandomBodiesCutAnywhere) {
  std::mt19937 rng(20261124);  // fixed seed: reproducible
  // Short bodies over the bytes that matter (NUL and 0x1f are "low" bytes the fast path
  // treats as special; 0xA0 is not WSP), each cut at random places and byte by byte.
  const char alphabet[] = {'a', ' ', '\t', '\r', '\n', 'b', '\r', '\n', ' ', '\0', '\x1f', '\xA0'};
  for (int round = 0; round < 3000; ++round) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % sizeof alphabet];
    std::vector<size_t> cuts;
    for (size_t i = 1; i < s.size(); ++i)
      if (rng() % 4 == 0) cuts.push_back(i);
    expectEveryWayMatchesModel(s, cuts, /*bytewise=*/true);
    if (HasFatalFailure()) return;
  }
}

TEST(BodyCanonicalizer, MatchesModelsOnTextWithSpecialsAtEveryBlockOffset) {
  // Long text with sparse whitespace and line ends: the 16-byte fast path runs, meets special
  // bytes at every offset within a block and near piece ends, and hands back to the slow path.
  std::mt19937 rng(7);
  const char texty[] = "abcdefghijklmnopqrstuvwxyz0123456789    \t\r\n";
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 300, ' ');
    for (char& c : s) c = texty[rng() % (sizeof texty - 1)];
    if (rng() % 2) s += "\r\n";
    if (rng() % 4 == 0) s += "  \r\n\r\n";
    std::vector<size_t> cuts;
    for (size_t i = 1; i < s.size(); ++i)
      if (rng() % 37 == 0) cuts.push_back(i);
    expectEveryWayMatchesModel(s, cuts, /*bytewise=*/false);
    if (HasFatalFailure()) return;
  }
}

TEST(BodyCanonicalizer, LargeBodiesGoOutInChunks) {
  // 100 KB of ordinary mail text, with bare LF in half of it: several sink calls, none larger
  // than kChunk, together the model's bytes.
  std::string body;
  while (body.size() < 100 * 1024)
    body += "Lorem ipsum dolor sit amet,  consectetur\tadipiscing elit, sed do eiusmod  \r\n";
  body += "\r\n\r\n";
  std::string withLf = body;
  for (size_t i = withLf.size() / 2; i + 1 < withLf.size(); ++i)
    if (withLf[i] == '\r' && withLf[i + 1] == '\n') withLf.erase(i, 1);
  for (Canon canon : kCanons) {
    for (LineEnds ends : kEnds) {
      const std::string& in = ends == LineEnds::kAny ? withLf : body;
      Output out = canonicalizeInPieces(canon, ends, in, {4095, 8192, 8193, 50000});
      EXPECT_EQ(out.bytes, expected(canon, ends, in)) << canonName(canon);
      EXPECT_GT(out.chunks.size(), 10u);
      for (size_t n : out.chunks) EXPECT_LE(n, BodyCanonicalizer::kChunk);
    }
  }
}

TEST(CanonicalizeHeader, MatchesModelOnRandomFields) {
  std::mt19937 rng(11);
  const char alphabet[] = "abcXYZ-: \t\r\n\x01\xA0 aaaaaaaaaaaaaaaaaaa";
  for (int round = 0; round < 20000; ++round) {
    std::string field = round % 3 ? "Subject" : "X-Y \t";
    field += ":";
    size_t n = rng() % 60;
    for (size_t i = 0; i < n; ++i) field += alphabet[rng() % (sizeof alphabet - 1)];
    ASSERT_EQ(canonicalizeHeader(Canon::kRelaxed, field), relaxedHeaderModel(field))
        << testing::PrintToString(field);
    ASSERT_EQ(canonicalizeHeader(Canon::kSimple, field), field + "\r\n");
    // Appended after other bytes, and written by pointer with only the documented room.
    std::string out = "prefix";
    appendCanonicalHeader(out, Canon::kRelaxed, field);
    ASSERT_EQ(out, "prefix" + relaxedHeaderModel(field));
    std::vector<char> room(canonicalHeaderBound(field.size()));
    char* end = canonicalizeHeaderTo(room.data(), Canon::kRelaxed, field);
    ASSERT_EQ(std::string(room.data(), end), relaxedHeaderModel(field));
  }
}

}  // namespace
}  // namespace mailroom::dkim
