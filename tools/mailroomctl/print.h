// Shared helpers of mailroomctl's verbs: server address, durations, and printing a message's
// per-recipient status as text or JSON.
#pragma once

#include <string>

#include "mailroom/v1/sender.grpc.pb.h"

namespace mailroom::ctl {

std::string defaultServer();
double parseSeconds(const std::string& text);  // "30s", "2m", "500ms"; <= 0 when invalid
const char* statusCodeName(int code);
// Human-readable status of a message: one block per recipient with its attempts.
std::string formatMessage(const v1::Message& message);
bool allFinal(const v1::Message& message);
// Polls GetMessage until every recipient is final or waitSeconds pass (0: once), prints the
// status, and returns the exit code (0 delivered, 1 some bounced, 3 still pending).
int waitAndPrint(v1::Sender::Stub& stub, const std::string& id, double waitSeconds,
                 const std::string& output);

}  // namespace mailroom::ctl
