// A throwaway MariaDB server for tests: its own data directory under /tmp, a free loopback port,
// a database and a password-protected user, stopped (SIGTERM) and deleted when the process ends.
//
// Start-up cost: `mariadb-install-db` takes a few seconds, so its output is kept as a template
// (/tmp/studybot-test-mariadb-template-<uid>-<binary id>, built once under an flock) that each
// test process copies (~20 MB, milliseconds) before starting mariadbd (~0.2 s). ctest runs every
// test case in its own process; this keeps a process-per-case MariaDB cheap while each process
// still owns its server, and nothing outlives the test run: the server gets SIGTERM at exit and,
// should the test process crash, from the kernel (PR_SET_PDEATHSIG).
//
// Thread-safe after Start().
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace studybot::testutil {

class MariadbServer {
 public:
  // Starts a server (see above). Fails when mariadbd is not installed or does not come up; the
  // message says why (with the tail of the server log).
  static Result<std::unique_ptr<MariadbServer>> Start();
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  // "10.11.19-MariaDB-0+deb12u1"
  const std::string& version() const { return version_; }
  uint16_t port() const { return port_; }
  // mysql://user:password@127.0.0.1:port/<database> for the test user (password URL-encoded).
  std::string UrlFor(std::string_view database) const;
  // The test user's password, to check that no error message leaks it.
  static const char* PasswordForTest();
  // Drops and re-creates `database` (letters, digits, underscore) and returns UrlFor(database).
  Result<std::string> FreshDatabase(std::string_view database);
  // Runs one statement as root over the Unix socket.
  Status RunAsRoot(const std::string& sql);

 private:
  MariadbServer() = default;
  Status Launch();

  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string version_;
};

// The process's server, started on first call and stopped at exit. Every later call returns the
// same server (or the same start-up error).
Result<MariadbServer*> SharedMariadbServer();

// True when STUDYBOT_TEST_SKIP_MYSQL=1: MariaDB tests are skipped instead of failing when the
// server cannot start.
bool SkipMysqlTests();

}  // namespace studybot::testutil
