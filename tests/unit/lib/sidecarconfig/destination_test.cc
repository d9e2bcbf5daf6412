// The one destination matcher (exact > longest *.suffix > *), and routes and limits over it.
#include "lib/sidecarconfig/destination.h"

#include <gtest/gtest.h>

#include "lib/sidecarconfig/config.h"

namespace mailroom::sidecarconfig {
namespace {

TEST(Destination, Patterns) {
  for (const char* ok : {"*", "example.net", "*.example.org", "Example.NET", "a-b.c", "localhost"})
    EXPECT_TRUE(isDestinationPattern(ok)) << ok;
  for (const char* bad : {"", "*.", "**", "*example.org", "a..b", ".a", "a.", "a b", "a.*", "*.*.a",
                          "a_b.example", "ex\xc3\xa4mple.com"})
    EXPECT_FALSE(isDestinationPattern(bad)) << bad;
  EXPECT_FALSE(isDestinationPattern(std::string(64, 'a') + ".example"));  // a label over 63
}

TEST(Destination, MatchTable) {
  struct Case {
    const char* pattern;
    const char* domain;
    bool matches;
  };
  const Case cases[] = {
      {"example.net", "example.net", true},
      {"example.net", "EXAMPLE.Net", true},   // case-insensitive
      {"example.net", "example.net.", true},  // one trailing dot
      {"Example.NET", "example.net", true},
      {"example.net", "mx.example.net", false},  // exact is exact
      {"example.net", "example.network", false},
      {"*.example.org", "a.example.org", true},
      {"*.example.org", "a.b.example.org", true},
      {"*.example.org", "A.Example.Org.", true},
      {"*.example.org", "example.org", false},  // subdomains only
      {"*.example.org", "badexample.org", false},
      {"*", "anything.example", true},
      {"*", "", true},
      {"example.net", "", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(matchRank(c.pattern, c.domain).has_value(), c.matches)
        << c.pattern << " vs " << c.domain;
}

TEST(Destination, ExactBeatsLongestSuffixBeatsStar) {
  const std::vector<std::string_view> patterns{"*", "*.example.org", "*.b.example.org",
                                               "a.b.example.org", "gmail.com"};
  EXPECT_EQ(bestMatch(patterns, "a.b.example.org"), 3u);
  EXPECT_EQ(bestMatch(patterns, "x.b.example.org"), 2u);  // the longer suffix
  EXPECT_EQ(bestMatch(patterns, "x.example.org"), 1u);
  EXPECT_EQ(bestMatch(patterns, "GMAIL.com."), 4u);
  EXPECT_EQ(bestMatch(patterns, "example.org"), 0u);
  EXPECT_EQ(bestMatch({"gmail.com", "*.gmail.com"}, "example.org"), std::nullopt);
  EXPECT_EQ(bestMatch({}, "example.org"), std::nullopt);
  EXPECT_EQ(bestMatch({"*", "*"}, "a.example"), 0u);  // equal patterns: the first
}

Transport direct(std::string name, std::vector<Route> routes) {
  Transport t{.name = std::move(name)};
  t.routes = std::move(routes);
  return t;
}

TEST(RouteFor, SpecificityThenPriorityThenLowestName) {
  SidecarConfig c;
  c.transports = {direct("default", {}),  // no routes: "*" at priority 0
                  direct("orgs", {{{"*.example.org"}, 0}}), direct("b-net", {{{"example.net"}, 5}}),
                  direct("a-net", {{{"example.net"}, 5}}),
                  direct("urgent", {{{"*.example.org"}, 100}, {{"*"}, 0}})};
  struct Case {
    const char* domain;
    const char* transport;
  };
  const Case cases[] = {
      {"example.net", "a-net"},     // same pattern, same priority: the lowest name
      {"x.example.org", "urgent"},  // same pattern: the highest priority
      {"gmail.com", "default"},     // "*" twice at priority 0: "default" < "urgent"
      {"EXAMPLE.NET.", "a-net"},
  };
  for (const auto& k : cases) {
    const Transport* t = routeFor(c, k.domain);
    ASSERT_NE(t, nullptr) << k.domain;
    EXPECT_EQ(t->name, k.transport) << k.domain;
  }
  // A more specific pattern beats any priority.
  c.transports.push_back(direct("exact", {{{"x.example.org"}, 0}}));
  EXPECT_EQ(routeFor(c, "x.example.org")->name, "exact");
}

TEST(RouteFor, NoMatchIsNull) {
  SidecarConfig c;
  c.transports = {direct("only", {{{"example.net"}, 0}})};
  EXPECT_EQ(routeFor(c, "gmail.com"), nullptr);
  EXPECT_EQ(routeFor(c, "example.net")->name, "only");
}

TEST(LimitsFor, SameMatcherAsRoutes) {
  Transport t{.name = "t"};
  t.perDestination = {{"*", std::nullopt, std::nullopt, 10},
                      {"gmail.com", 100, std::nullopt, std::nullopt},
                      {"*.outlook.com", std::nullopt, 3, std::nullopt}};
  EXPECT_EQ(limitsFor(t, "Gmail.com")->domain, "gmail.com");
  EXPECT_EQ(limitsFor(t, "eur.outlook.com")->domain, "*.outlook.com");
  EXPECT_EQ(limitsFor(t, "outlook.com")->domain, "*");
  t.perDestination.erase(t.perDestination.begin());
  EXPECT_EQ(limitsFor(t, "outlook.com"), nullptr);
}

}  // namespace
}  // namespace mailroom::sidecarconfig
