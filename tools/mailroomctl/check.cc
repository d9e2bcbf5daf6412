// mailroomctl check: the mail DNS health of a sending domain (lib/auth/health) over c-ares,
// printed as a table or JSON. Exit codes: 0 no problems (warnings allowed), 1 problems found,
// 2 could not check (DNS failures, an unreachable server) or a usage error. A DNS server that
// does not answer gives 2, never 0: no check reports "pass" without an answer.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/auth/dmarc/psl.h"
#include "lib/auth/health/dkim_key.h"
#include "lib/auth/health/health.h"
#include "lib/auth/health/render.h"
#include "lib/auth/spf/check_host.h"
#include "lib/common/asio.h"
#include "lib/dns/cares_resolver.h"
#include "tools/mailroomctl/commands.h"
#include "tools/mailroomctl/print.h"

namespace mailroom::ctl {
namespace {

const char* kCheckHelp =
    "usage: mailroomctl check DOMAIN [options]\n"
    "  --ip ADDR              a sending address, IPv4 or IPv6 (repeatable): SPF, PTR, DNSBL\n"
    "  --ehlo HOST            the EHLO name mail is sent with (compared with each PTR)\n"
    "  --selector SEL         a DKIM selector to check (repeatable)\n"
    "  --dkim-key FILE        the key SEL must publish (PEM public or private key, DER, or the\n"
    "                         record / p= text); applies to the --selector before it\n"
    "  --dnsbl ZONE           a DNS blocklist to look the IPs up in (repeatable; none by default)\n"
    "  --resolver IP[:PORT]   DNS server to ask (repeatable; default: /etc/resolv.conf)\n"
    "  --timeout DURATION     per lookup, all retries included (default 5s)\n"
    "  --psl FILE             Public Suffix List for DMARC (default Debian's publicsuffix)\n"
    "  --output table|json    (default table; colour only when stdout is a terminal)\n"
    "exit: 0 no problems (warnings allowed), 1 problems found, 2 could not check or usage\n";

int usageError(const std::string& message) {
  std::fprintf(stderr, "mailroomctl check: %s\n%s", message.c_str(), kCheckHelp);
  return 2;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int checkCommand(const std::vector<std::string>& args) {
  health::HealthRequest request;
  std::vector<std::string> servers;
  std::string output = "table", pslPath = dmarc::kDebianPublicSuffixList;
  bool pslGiven = false;
  double timeoutSeconds = 5;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kCheckHelp, stdout);
      return 0;
    }
    if (!a.starts_with("--")) {
      if (!request.domain.empty()) return usageError("one domain only, got " + a);
      request.domain = a;
      continue;
    }
    auto v = value();
    if (!v) return usageError(a + " needs a value");
    if (a == "--ip") {
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(*v, ec);
      if (ec) return usageError("--ip wants an IPv4 or IPv6 address, got " + *v);
      request.ips.push_back(addr);
    } else if (a == "--ehlo") {
      request.ehloHostname = *v;
    } else if (a == "--selector") {
      request.selectors.push_back({*v, std::nullopt});
    } else if (a == "--dkim-key") {
      if (request.selectors.empty()) return usageError("--dkim-key must follow a --selector");
      auto text = readFile(*v);
      if (!text) return usageError("cannot read " + *v);
      if (auto key = health::parseExpectedKey(*text); !key) {
        return usageError(*v + ": " + key.error().message);
      }
      request.selectors.back().expectedKey = std::move(*text);
    } else if (a == "--dnsbl") {
      request.dnsblZones.push_back(*v);
    } else if (a == "--resolver") {
      servers.push_back(*v);
    } else if (a == "--timeout") {
      timeoutSeconds = parseSeconds(*v);
      if (timeoutSeconds <= 0) return usageError("--timeout wants a duration like 5s, got " + *v);
    } else if (a == "--psl") {
      pslPath = *v;
      pslGiven = true;
    } else if (a == "--output") {
      output = *v;
      if (output != "table" && output != "json") {
        return usageError("--output is table or json, got " + output);
      }
    } else {
      return usageError("unknown option " + a);
    }
  }
  if (request.domain.empty()) return usageError("which domain? (mailroomctl check example.com)");
  if (!spf::isValidDomain(request.domain)) {
    return usageError(request.domain + " is not a domain name");
  }

  auto psl = dmarc::loadPublicSuffixList(pslPath);
  if (psl) {
    request.psl = std::make_shared<const dmarc::PublicSuffixList>(std::move(*psl));
  } else if (pslGiven) {
    return usageError(psl.error().message);
  } else {
    std::fprintf(stderr,
                 "mailroomctl check: no Public Suffix List at %s (install publicsuffix); DMARC "
                 "organizational domains use the last two labels\n",
                 pslPath.c_str());
  }
  request.now = std::chrono::system_clock::now();

  asio::io_context io;
  dns::CaresOptions options;
  options.servers = servers;
  // c-ares doubles the timeout for each further try: t + 2t = the budget with two tries.
  options.tries = 2;
  options.timeout = std::chrono::milliseconds(std::max<long>(1, timeoutSeconds * 1000 / 3));
  auto resolver = dns::CaresResolver::create(io.get_executor(), options);
  if (!resolver) return usageError(resolver.error().message);

  std::optional<health::HealthReport> report;
  std::exception_ptr failure;
  asio::co_spawn(io, health::checkDomain(**resolver, std::move(request)),
                 [&](std::exception_ptr e, health::HealthReport r) {
                   failure = e;
                   report = std::move(r);
                 });
  io.run();
  if (failure || !report) {
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mailroomctl check: internal error: %s\n", e.what());
    }
    return 2;
  }
  if (output == "json") {
    std::fputs(health::renderJson(*report).c_str(), stdout);
  } else {
    // Colour only for a person at a terminal; NO_COLOR (no-color.org) turns it off there too.
    const char* noColour = std::getenv("NO_COLOR");
    bool colour = isatty(STDOUT_FILENO) == 1 && (noColour == nullptr || *noColour == '\0');
    std::fputs(health::renderTable(*report, {.colour = colour}).c_str(), stdout);
  }
  return health::exitCode(*report);
}

}  // namespace mailroom::ctl
