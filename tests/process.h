// Running the studybot binary from tests.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace studybot::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `args` (args[0] is the program) to completion with extra environment variables.
ProcessResult RunProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_text = {});

// A background process whose stdout and stderr go to files.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  ~ChildProcess();
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+N when killed by signal N).
  int Wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A TCP port that was free a moment ago.
int FreePort();

}  // namespace studybot::testing
