// MySQL / MariaDB implementation of storage::Connection over MariaDB Connector/C.
//
// Statements are real server-side prepared statements (mysql_stmt_*), cached per connection by
// SQL text; a replaced connection prepares them again. Sessions use utf8mb4, UTC, strict SQL mode
// and READ COMMITTED (fewer gap locks for the job queue's `FOR UPDATE SKIP LOCKED`).
//
// Result columns: integer types come back as int64, FLOAT/DOUBLE as double, NULL as monostate,
// everything else (text, blobs, DECIMAL, dates) as string.
//
// Error messages name host, port, database and user, never the password.
//
// Thread safety: as storage::Connection (one thread at a time).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::storage {

// The parts of mysql://user:pass@host:port/db?socket=/path (also mariadb://).
struct MysqlUrl {
  std::string user;      // URL-decoded
  std::string password;  // URL-decoded; never logged
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string database;
  std::string socket;  // Unix socket path; when set, host and port are not used
};

// Fails with kInvalidArgument naming what is wrong (the message never contains the password).
Result<MysqlUrl> ParseMysqlUrl(std::string_view url);

struct MysqlOptions {
  MysqlUrl url;
  // disabled, preferred, required, verify_ca or verify_identity. Connector/C checks the host
  // name whenever it verifies the certificate, so verify_ca behaves as verify_identity.
  std::string ssl_mode = "preferred";
  // CA bundle (PEM) for verify_ca / verify_identity; empty uses the system store.
  std::string ssl_ca;
  std::chrono::milliseconds connect_timeout{5'000};
};

// Connects and configures the session. Fails with kUnavailable when the server cannot be reached
// or refuses the credentials, kInvalidArgument for a bad ssl_mode.
Result<std::unique_ptr<Connection>> OpenMysqlConnection(const MysqlOptions& options);

}  // namespace studybot::storage
