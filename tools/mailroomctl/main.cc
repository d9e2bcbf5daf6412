// mailroomctl: the Mailroom command line.
//   mailroomctl send   [--server ADDR] --from ADDR --to ADDR... [--subject S] [--text T] ...
//   mailroomctl status [--server ADDR] ID
//   mailroomctl plan   -f maildomain.yaml [--output table|json]
//   mailroomctl check  DOMAIN --ip ADDR... [--ehlo HOST] [--selector SEL [--dkim-key F]]...
// The server defaults to $MAILROOM_SERVER or 127.0.0.1:7587 (the sidecar's gRPC address).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/mailroomctl/commands.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: mailroomctl <command> [options]\n"
               "commands:\n"
               "  send     queue a message through a sidecar and optionally wait for the outcome\n"
               "  status   show what became of a queued message\n"
               "  plan     print the DNS records a MailDomain manifest wants (no cluster)\n"
               "  check    check a sending domain's DNS health (SPF, PTR, DKIM, DMARC, DNSBL)\n"
               "run 'mailroomctl <command> --help' for its options\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "send") return mailroom::ctl::sendCommand(args);
  if (command == "status") return mailroom::ctl::statusCommand(args);
  if (command == "plan") return mailroom::ctl::planCommand(args);
  if (command == "check") return mailroom::ctl::checkCommand(args);
  if (command == "--help" || command == "-h" || command == "help") {
    usage();
    return 0;
  }
  std::fprintf(stderr, "mailroomctl: unknown command \"%s\"\n", command.c_str());
  return usage();
}
