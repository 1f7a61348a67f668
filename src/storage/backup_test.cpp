#include "storage/backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/sqlite_database.h"
#include "storage_fixture.h"

namespace studybot::storage {
namespace {

using namespace std::string_literals;

class BackupTest : public StorageTest {};

TEST_P(BackupTest, CopiesALiveDatabase) {
  if (mysql()) {
    auto st = BackupDatabase(url_, temp_dir_ + "/backup.db");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message.find("mysqldump --single-transaction"), std::string::npos);
    return;
  }
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_NO_FATAL_FAILURE(CreateScratchTable(*db));
  const std::string payload(500, 'p');
  {
    auto conn = db->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn.value()->Begin().ok());
    for (int64_t i = 0; i < 3000; ++i) {
      ASSERT_TRUE(conn.value()->Execute("INSERT INTO kv (id, s) VALUES (?, ?)", {i, payload}).ok());
    }
    ASSERT_TRUE(conn.value()->Commit().ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{3000};
  std::thread writer([&] {
    while (!stop.load()) {
      auto conn = db->Acquire();
      if (!conn.ok()) continue;
      int64_t id = written.load();
      if (conn.value()->Execute("INSERT INTO kv (id, s) VALUES (?, ?)", {id, payload}).ok()) {
        written.store(id + 1);
      }
    }
  });
  // Let the writer get going before the copy starts (no sleep: wait for progress).
  while (written.load() < 3050)
    std::this_thread::yield();
  const int64_t before = written.load();
  const std::string dest = temp_dir_ + "/backups/copy.db";
  BackupOptions options;
  options.pages_per_step = 8;  // many steps, interleaved with the writer
  auto st = BackupSqlite(url_.substr(7), dest, options);
  const int64_t after = written.load();
  stop.store(true);
  writer.join();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_GT(after, before);  // the writer was not blocked for the whole copy

  SqliteOptions copy_options;
  copy_options.path = dest;
  auto copy = OpenSqliteConnection(copy_options);
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  auto check = copy.value()->Query("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->rows.at(0).GetString(0), "ok");
  auto n = copy.value()->Query("SELECT COUNT(*), MAX(id) FROM kv");
  ASSERT_TRUE(n.ok());
  int64_t rows = n->rows.at(0).GetInt(0);
  EXPECT_GE(rows, before);
  EXPECT_LE(rows, after + 1);
  EXPECT_EQ(n->rows.at(0).GetInt(1), rows - 1);  // a prefix of the writes: consistent snapshot
  // Nothing but the copy itself (and the WAL files of our open connection) is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(temp_dir_ + "/backups")) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  auto missing = BackupSqlite(temp_dir_ + "/nope.db", dest);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(SqliteConnectionTest, ConfiguresWalForeignKeysAndCreatesTheDirectory) {
  char tmpl[] = "/tmp/studybot-sqlite-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  SqliteOptions o;
  o.path = dir + "/a/b/c.db";
  {
    auto conn = OpenSqliteConnection(o);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    Connection& c = *conn.value();
    EXPECT_EQ(c.Query("PRAGMA journal_mode")->rows.at(0).GetString(0), "wal");
    EXPECT_EQ(c.Query("PRAGMA foreign_keys")->rows.at(0).GetInt(0), 1);
    EXPECT_EQ(c.Query("PRAGMA synchronous")->rows.at(0).GetInt(0), 1);  // NORMAL
    auto two = c.Execute("SELECT 1; SELECT 2");
    ASSERT_FALSE(two.ok());  // one statement per call
    EXPECT_EQ(two.error().code, ErrorCode::kInternal);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

INSTANTIATE_TEST_SUITE_P(Engines, BackupTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariadb), BackendParamName);

}  // namespace
}  // namespace studybot::storage
