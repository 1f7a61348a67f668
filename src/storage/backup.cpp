#include "storage/backup.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "core/ids.h"

namespace studybot::storage {
namespace {

// Closes a connection on scope exit.
struct SqliteHandle {
  sqlite3* db = nullptr;
  ~SqliteHandle() { sqlite3_close_v2(db); }
};

Error SqliteError(sqlite3* db, int rc, const std::string& context) {
  std::string msg = context + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return Error::Unavailable(std::move(msg));
}

}  // namespace

Status BackupSqlite(const std::string& source_path, const std::string& dest_path,
                    const BackupOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(source_path, ec)) {
    return Error::NotFound("backup: no database file at " + source_path);
  }
  fs::path dest(dest_path);
  if (dest.has_parent_path()) fs::create_directories(dest.parent_path(), ec);
  const std::string tmp = dest_path + ".tmp-" + RandomHex(6);

  Status result = [&]() -> Status {
    SqliteHandle src;
    int rc = sqlite3_open_v2(source_path.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) return SqliteError(src.db, rc, "backup: opening " + source_path);
    sqlite3_busy_timeout(src.db, 5'000);
    SqliteHandle dst;
    rc = sqlite3_open_v2(tmp.c_str(), &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) return SqliteError(dst.db, rc, "backup: creating " + tmp);

    // A read transaction pins one snapshot (WAL): writers keep going, and the copy does not
    // restart every time they commit.
    rc = sqlite3_exec(src.db, "BEGIN; SELECT count(*) FROM sqlite_master;", nullptr, nullptr,
                      nullptr);
    if (rc != SQLITE_OK) return SqliteError(src.db, rc, "backup: reading " + source_path);

    sqlite3_backup* backup = sqlite3_backup_init(dst.db, "main", src.db, "main");
    if (backup == nullptr) return SqliteError(dst.db, SQLITE_ERROR, "backup: starting");
    const int pages = options.pages_per_step > 0 ? options.pages_per_step : 256;
    do {
      rc = sqlite3_backup_step(backup, pages);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(5);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int finish = sqlite3_backup_finish(backup);
    sqlite3_exec(src.db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_DONE) return SqliteError(dst.db, rc, "backup: copying " + source_path);
    if (finish != SQLITE_OK) return SqliteError(dst.db, finish, "backup: finishing");
    // The copy keeps the source's WAL flag; fold everything into the main file so the backup is
    // one self-contained file.
    rc = sqlite3_exec(dst.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(dst.db, rc, "backup: finalising " + tmp);
    return OkStatus();
  }();

  if (result.ok()) {
    fs::rename(tmp, dest, ec);
    if (ec) result = Error::Unavailable("backup: renaming to " + dest_path + ": " + ec.message());
  }
  if (!result.ok()) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      fs::remove(tmp + suffix, ec);
  }
  return result;
}

Status BackupDatabase(const std::string& database_url, const std::string& dest_path,
                      const BackupOptions& options) {
  if (database_url.rfind("sqlite:", 0) == 0) {
    std::string path = database_url.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    return BackupSqlite(path, dest_path, options);
  }
  if (database_url.rfind("mysql://", 0) == 0 || database_url.rfind("mariadb://", 0) == 0) {
    return Error::InvalidArgument(
        "backup: MySQL/MariaDB databases are backed up with the server's own tools, e.g. "
        "`mysqldump --single-transaction --routines --triggers DB > backup.sql` (a consistent "
        "snapshot that does not lock InnoDB tables)");
  }
  return Error::InvalidArgument("backup: unsupported database url");
}

}  // namespace studybot::storage
