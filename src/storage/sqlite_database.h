// SQLite implementation of storage::Connection over the sqlite3 C API.
//
// Each connection runs in WAL mode (readers never block the writer), synchronous=NORMAL (durable
// across application crashes; a power loss may drop the last transactions, never corrupt),
// foreign_keys=ON, and a busy timeout. Prepared statements are cached per connection by SQL text.
// Begin() is `BEGIN IMMEDIATE`: taking the write lock up front means two transactions never
// deadlock upgrading a read lock, and the busy timeout applies where it can wait.
//
// Thread safety: as storage::Connection (one thread at a time).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::storage {

struct SqliteOptions {
  // File path; its parent directory is created when missing.
  std::string path;
  // How long a statement waits for a lock held by another connection before kUnavailable.
  std::chrono::milliseconds busy_timeout{5'000};
};

// Opens (creating if needed) the database file. Fails with kUnavailable when the file cannot be
// opened or configured.
Result<std::unique_ptr<Connection>> OpenSqliteConnection(const SqliteOptions& options);

// "3.40.1": the linked library's version.
const char* SqliteLibraryVersion();

}  // namespace studybot::storage
