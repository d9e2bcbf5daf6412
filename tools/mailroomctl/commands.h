// mailroomctl's verbs. Each takes its arguments (after the verb) and returns the exit code:
// 0 success, 1 the outcome was a failure (bounced, problems found), 2 usage or connection
// errors, 3 still pending when --wait ran out.
#pragma once

#include <string>
#include <vector>

namespace mailroom::ctl {

int sendCommand(const std::vector<std::string>& args);
int statusCommand(const std::vector<std::string>& args);
int planCommand(const std::vector<std::string>& args);
int checkCommand(const std::vector<std::string>& args);

}  // namespace mailroom::ctl
