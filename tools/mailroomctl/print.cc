#include "tools/mailroomctl/print.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "lib/common/address_family.h"

namespace mailroom::ctl {
namespace {

const char* stateName(v1::RecipientState s) {
  switch (s) {
    case v1::QUEUED:
      return "queued";
    case v1::DEFERRED:
      return "deferred";
    case v1::DELIVERED:
      return "delivered";
    case v1::BOUNCED:
      return "bounced";
    default:
      return "unknown";
  }
}

// The wire enum in the project's words; "-" when no connection was made.
const char* familyText(v1::AddressFamily f) {
  if (f == v1::IPV4) return familyName(AddressFamily::kIpv4);
  if (f == v1::IPV6) return familyName(AddressFamily::kIpv6);
  return "-";
}

std::string replyText(const v1::Reply& r) {
  if (r.code() == 0 && r.text().empty()) return "";
  std::string s = r.code() ? std::to_string(r.code()) : "";
  if (!r.enhanced().empty()) s += (s.empty() ? "" : " ") + r.enhanced();
  if (!r.text().empty()) s += (s.empty() ? "" : " ") + r.text();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

std::string timeText(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t);
}

}  // namespace

std::string defaultServer() {
  const char* env = std::getenv("MAILROOM_SERVER");
  return env && *env ? env : "127.0.0.1:7587";
}

double parseSeconds(const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    std::string unit = text.substr(used);
    if (unit == "ms") return v / 1000;
    if (unit == "s" || unit.empty()) return v;
    if (unit == "m") return v * 60;
    if (unit == "h") return v * 3600;
  } catch (...) {
  }
  return -1;
}

const char* statusCodeName(int code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "ERROR";
  }
}

bool allFinal(const v1::Message& m) {
  for (const auto& r : m.recipients())
    if (r.state() != v1::DELIVERED && r.state() != v1::BOUNCED) return false;
  return true;
}

std::string formatMessage(const v1::Message& m) {
  std::string out = "message " + m.id() + "  Message-ID " + m.message_id() + "  from <" +
                    m.mail_from() + ">  " + std::to_string(m.size()) + " bytes\n";
  for (const auto& [k, v] : m.notes()) out += "  " + k + ": " + v + "\n";
  for (const auto& r : m.recipients()) {
    out += "  " + r.address() + "  " + stateName(r.state());
    if (r.state() == v1::DELIVERED)
      out += "  via " + r.mx_host() + " [" + r.ip() + "] " + familyText(r.family()) + " from " +
             r.source_ip();
    out += "\n";
    if (!r.summary().empty()) out += "    " + r.summary() + "\n";
    auto reply = replyText(r.last_reply());
    if (!reply.empty()) out += "    last reply: " + reply + "\n";
    if (r.state() == v1::DEFERRED) out += "    next attempt: " + timeText(r.next_attempt()) + "\n";
    for (const auto& a : r.history()) {
      out += "    - " + timeText(a.at()) + " " + a.outcome() + " " + familyText(a.family()) + " " +
             (a.source_ip().empty() ? "" : a.source_ip() + " -> ") + a.mx_host() + " [" + a.ip() +
             "]";
      auto ar = replyText(a.reply());
      if (!ar.empty()) out += ": " + ar;
      if (!a.note().empty()) out += " (" + a.note() + ")";
      out += "\n";
    }
  }
  return out;
}

int waitAndPrint(v1::Sender::Stub& stub, const std::string& id, double waitSeconds,
                 const std::string& output) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(waitSeconds * 1000));
  v1::Message message;
  for (;;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetMessageRequest req;
    req.set_id(id);
    auto status = stub.GetMessage(&ctx, req, &message);
    if (!status.ok()) {
      std::fprintf(stderr, "mailroomctl: %s: %s\n", statusCodeName(status.error_code()),
                   status.error_message().c_str());
      return 2;
    }
    if (allFinal(message) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (output == "json") {
    std::string json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(message, &json, opts);
    std::fputs(json.c_str(), stdout);
  } else {
    std::fputs(formatMessage(message).c_str(), stdout);
  }
  if (!allFinal(message)) return 3;
  for (const auto& r : message.recipients())
    if (r.state() == v1::BOUNCED) return 1;
  return 0;
}

}  // namespace mailroom::ctl
