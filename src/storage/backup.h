// Online backups of the database.
//
// SQLite: a consistent copy taken with the sqlite3 online backup API while the server runs. The
// copy is written to a temporary file beside the destination and renamed into place, so the
// destination is either the previous file or a complete backup, never a partial one.
// MySQL: not done in process; the error tells the operator to use mysqldump.
//
// Thread-safe (each call opens its own connections).
#pragma once

#include <string>

#include "core/result.h"

namespace studybot::storage {

struct BackupOptions {
  // Pages copied per step. Between steps the source lock is released, so writers are held up
  // for at most one step (and not at all in WAL mode, where the copy reads a snapshot).
  int pages_per_step = 256;
};

// Copies the SQLite database at `source_path` to `dest_path` (replaced if it exists). Fails with
// kNotFound when the source does not exist, kUnavailable on I/O or lock failures.
Status BackupSqlite(const std::string& source_path, const std::string& dest_path,
                    const BackupOptions& options = {});

// Backs up the database named by `database_url` (sqlite:PATH or mysql://...). For MySQL this fails
// with kInvalidArgument saying to use `mysqldump --single-transaction`.
Status BackupDatabase(const std::string& database_url, const std::string& dest_path,
                      const BackupOptions& options = {});

}  // namespace studybot::storage
