// A throwaway redis-server for tests: on a free loopback port, without persistence, in its own
// temporary directory. It can be stopped mid-test (to exercise outages) and restarted on the same
// port. Not thread-safe: drive it from the test's main thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace studybot::testing {

class ChildProcess;

class RedisServer {
 public:
  struct Options {
    // When set, the server requires it (--requirepass) and url() carries it.
    std::string password;
  };

  // Starts redis-server (found on PATH) and waits, by bounded polling, until it answers PING.
  // Errors: kUnavailable when redis-server is not installed or does not come up; the message
  // includes the end of its log.
  static Result<std::unique_ptr<RedisServer>> Start(const Options& options);
  static Result<std::unique_ptr<RedisServer>> Start() { return Start(Options{}); }

  // Stops the server (SIGTERM, then waits) and removes its directory.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:port/db
  std::string url(int db = 0) const;
  bool running() const { return child_ != nullptr; }

  // Stops the server; the port stays reserved for Restart(). No-op when stopped.
  void Stop();
  // Starts it again on the same port, empty (nothing is persisted). Errors: as Start.
  Status Restart();

  // Runs one command on a new connection (authenticated, on database `db`) and renders the
  // reply as text: strings and statuses as-is, integers in decimal, nil as "(nil)", errors as
  // their message, arrays as elements joined by "\n". Errors: kUnavailable if the server is down.
  Result<std::string> Command(const std::vector<std::string>& args, int db = 0);

 private:
  RedisServer(const Options& options, std::string binary, std::string dir, int port);
  Status Launch();

  const Options options_;
  const std::string binary_;
  const std::string dir_;
  const int port_;
  std::unique_ptr<ChildProcess> child_;
  int launches_ = 0;
};

// True when STUDYBOT_TEST_SKIP_REDIS=1: tests needing Redis may skip instead of failing.
bool SkipRedisTests();

}  // namespace studybot::testing
