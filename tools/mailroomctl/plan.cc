// mailroomctl plan -f maildomain.yaml [--output table|json] [--dkim-key SELECTOR=PEM]...
// Prints the DNS records a MailDomain wants: the same desiredRecords() the operator reconciles
// with, without a cluster. Selectors without a --dkim-key are shown as pending, as the operator
// does before it has generated their keys.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"
#include "operator/api/v1alpha1/yaml.h"
#include "operator/controllers/records.h"
#include "tools/mailroomctl/commands.h"

namespace mailroom::ctl {
namespace {

int planUsage() {
  std::fprintf(
      stderr,
      "usage: mailroomctl plan -f FILE [--output table|json] [--dkim-key SELECTOR=PEM]...\n"
      "  -f FILE       a MailDomain manifest (YAML or JSON; '-' reads stdin)\n"
      "  --output      table (default) or json\n"
      "  --dkim-key    a private key file whose public half a selector publishes\n");
  return 2;
}

bool readAll(const std::string& path, std::string& out) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    ss << in.rdbuf();
  }
  out = ss.str();
  return true;
}

void printTable(const std::vector<controllers::DnsRecord>& records) {
  size_t nameWidth = 4, purposeWidth = 7;
  for (const auto& r : records) {
    nameWidth = std::max(nameWidth, r.name.size());
    purposeWidth = std::max(purposeWidth, r.purpose.size());
  }
  std::printf("%-*s  %-4s  %-*s  %s\n", int(nameWidth), "NAME", "TYPE", int(purposeWidth),
              "PURPOSE", "VALUE");
  for (const auto& r : records) {
    for (const auto& v : r.values) {
      std::printf("%-*s  %-4s  %-*s  %s\n", int(nameWidth), r.name.c_str(), r.type.c_str(),
                  int(purposeWidth), r.purpose.c_str(), v.c_str());
    }
  }
}

// The first MailDomain in a manifest (YAML or JSON, possibly several documents), decoded
// strictly and validated as the operator does.
Result<api::MailDomain> readMailDomain(const std::string& text) {
  auto docs = api::yamlDocumentsToJson(text);
  if (!docs) return docs.error();
  for (const auto& doc : *docs) {
    if (!doc.is_object() || doc.value("kind", "") != api::MailDomain::kKind) continue;
    auto md = api::decode<api::MailDomain>(doc);
    if (!md) return md.error();
    if (auto valid = api::validate(md->spec); !valid) return valid.error();
    return md;
  }
  return Error::invalidArgument("no MailDomain (kind: MailDomain) in the manifest");
}

}  // namespace

int planCommand(const std::vector<std::string>& args) {
  std::string file, output = "table";
  controllers::DkimRecords keys;
  std::vector<std::pair<std::string, std::string>> keyFiles;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool hasValue = i + 1 < args.size();
    if ((a == "-f" || a == "--filename") && hasValue) {
      file = args[++i];
    } else if ((a == "-o" || a == "--output") && hasValue) {
      output = args[++i];
    } else if (a == "--dkim-key" && hasValue) {
      const std::string& kv = args[++i];
      auto eq = kv.find('=');
      if (eq == std::string::npos) return planUsage();
      keyFiles.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "-h" || a == "--help") {
      planUsage();
      return 0;
    } else {
      return planUsage();
    }
  }
  if (file.empty() || (output != "table" && output != "json")) return planUsage();
  std::string text;
  if (!readAll(file, text)) {
    std::fprintf(stderr, "mailroomctl plan: cannot read %s\n", file.c_str());
    return 2;
  }
  auto md = readMailDomain(text);
  if (!md) {
    std::fprintf(stderr, "mailroomctl plan: %s: %s\n", file.c_str(), md.error().message.c_str());
    return 2;
  }
  for (const auto& [selector, path] : keyFiles) {
    std::string pem;
    auto key = readAll(path, pem) ? dkim::PrivateKey::fromPem(pem)
                                  : Result<dkim::PrivateKey>(Error::notFound("cannot read"));
    if (!key) {
      std::fprintf(stderr, "mailroomctl plan: %s: %s\n", path.c_str(), key.error().message.c_str());
      return 2;
    }
    keys.push_back({selector, selector, dkim::renderKeyRecord(*key)});
  }
  auto records = controllers::desiredRecords(md->spec, keys);
  if (output == "json") {
    std::fputs(controllers::formatRecordsJson(records).c_str(), stdout);
  } else {
    printTable(records);
  }
  return 0;
}

}  // namespace mailroom::ctl
