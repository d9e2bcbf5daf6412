#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "mailroom/v1/sender.grpc.pb.h"
#include "tools/mailroomctl/commands.h"
#include "tools/mailroomctl/print.h"

namespace mailroom::ctl {
namespace {

const char* kSendHelp =
    "usage: mailroomctl send [options]\n"
    "  --server ADDR          sidecar gRPC address (default $MAILROOM_SERVER or 127.0.0.1:7587)\n"
    "  --from ADDR            From header (\"Name <a@example.com>\" or a@example.com)\n"
    "  --to/--cc/--bcc ADDR   recipients (repeatable)\n"
    "  --subject TEXT         Subject\n"
    "  --text TEXT            plain-text body (or --text-file FILE)\n"
    "  --html HTML            HTML body\n"
    "  --header 'Name: value' extra header (repeatable)\n"
    "  --raw FILE             send FILE as a complete RFC 5322 message instead ('-' = stdin)\n"
    "  --mail-from ADDR       envelope sender ('' for <>); --rcpt ADDR envelope recipients\n"
    "  --idempotency-key KEY  a retried send with the same key queues nothing new\n"
    "  --wait DURATION        wait until every recipient is delivered or bounced (e.g. 30s)\n"
    "  --output text|json\n";

std::string readAll(const std::string& path) {
  if (path == "-") {
    std::stringstream b;
    b << std::cin.rdbuf();
    return b.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "mailroomctl: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

// No client-side cap on what is sent or received: the sidecar's receive limit follows its
// spool.maxMessageBytes (sidecar/grpc/sender_service.h), and that config is the sidecar's, not
// ours; gRPC's 4 MB receive default would also cut off the status of a message with thousands of
// recipients.
std::shared_ptr<grpc::Channel> channelTo(const std::string& server) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

int sendCommand(const std::vector<std::string>& args) {
  v1::SendRequest request;
  auto* m = request.mutable_structured();
  std::string server = defaultServer(), output = "text", raw;
  double waitSeconds = 0;
  bool haveRaw = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "mailroomctl send: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kSendHelp, stdout);
      return 0;
    } else if (a == "--server")
      server = value();
    else if (a == "--from")
      m->set_from(value());
    else if (a == "--reply-to")
      m->set_reply_to(value());
    else if (a == "--to")
      m->add_to(value());
    else if (a == "--cc")
      m->add_cc(value());
    else if (a == "--bcc")
      m->add_bcc(value());
    else if (a == "--subject")
      m->set_subject(value());
    else if (a == "--text")
      m->set_text(value());
    else if (a == "--text-file")
      m->set_text(readAll(value()));
    else if (a == "--html")
      m->set_html(value());
    else if (a == "--header") {
      auto h = value();
      auto colon = h.find(':');
      if (colon == std::string::npos) {
        std::fprintf(stderr, "mailroomctl send: --header wants 'Name: value'\n");
        return 2;
      }
      auto* hdr = m->add_headers();
      hdr->set_name(h.substr(0, colon));
      hdr->set_value(h.substr(h.find_first_not_of(' ', colon + 1) == std::string::npos
                                  ? h.size()
                                  : h.find_first_not_of(' ', colon + 1)));
    } else if (a == "--raw") {
      raw = readAll(value());
      haveRaw = true;
    } else if (a == "--mail-from") {
      request.mutable_envelope()->set_mail_from(value());
      request.mutable_envelope()->set_has_mail_from(true);
    } else if (a == "--rcpt")
      request.mutable_envelope()->add_rcpt_to(value());
    else if (a == "--idempotency-key")
      request.set_idempotency_key(value());
    else if (a == "--wait") {
      auto v = value();
      waitSeconds = parseSeconds(v);
      if (waitSeconds <= 0) {
        std::fprintf(stderr, "mailroomctl send: --wait wants a duration like 30s, got %s\n",
                     v.c_str());
        return 2;
      }
    } else if (a == "--output")
      output = value();
    else {
      std::fprintf(stderr, "mailroomctl send: unknown option %s\n%s", a.c_str(), kSendHelp);
      return 2;
    }
  }
  if (haveRaw) request.set_raw(raw);  // replaces the structured fields (oneof)

  auto stub = v1::Sender::NewStub(channelTo(server));
  grpc::ClientContext ctx;
  // A large message takes a while through a loaded sidecar (spool write and fsync).
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::SendResponse response;
  auto status = stub->Send(&ctx, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "mailroomctl send: %s: %s\n", statusCodeName(status.error_code()),
                 status.error_message().c_str());
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      std::fprintf(stderr,
                   "mailroomctl send: the request is larger than the sidecar reads "
                   "(spool.maxMessageBytes plus 1 MiB for the envelope)\n");
    return 2;
  }
  if (output != "json") {
    std::printf("queued %s%s (Message-ID %s) for %d recipient(s)\n", response.id().c_str(),
                response.duplicate() ? " (duplicate: nothing new queued)" : "",
                response.message_id().c_str(), response.recipients_size());
  }
  if (waitSeconds <= 0) {
    if (output == "json") std::printf("{\"id\":\"%s\"}\n", response.id().c_str());
    return 0;
  }
  return waitAndPrint(*stub, response.id(), waitSeconds, output);
}

int statusCommand(const std::vector<std::string>& args) {
  std::string server = defaultServer(), output = "text", id;
  double waitSeconds = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--server" && i + 1 < args.size())
      server = args[++i];
    else if (args[i] == "--output" && i + 1 < args.size())
      output = args[++i];
    else if (args[i] == "--wait" && i + 1 < args.size())
      waitSeconds = parseSeconds(args[++i]);
    else if (args[i] == "--help") {
      std::puts("usage: mailroomctl status [--server ADDR] [--wait 30s] [--output text|json] ID");
      return 0;
    } else if (id.empty() && !args[i].starts_with("--"))
      id = args[i];
    else {
      std::fprintf(stderr, "mailroomctl status: unexpected argument %s\n", args[i].c_str());
      return 2;
    }
  }
  if (id.empty()) {
    std::fprintf(stderr, "usage: mailroomctl status [--server ADDR] ID\n");
    return 2;
  }
  auto stub = v1::Sender::NewStub(channelTo(server));
  return waitAndPrint(*stub, id, waitSeconds, output);
}

}  // namespace mailroom::ctl
