#include "storage_fixture.h"

#include "storage/migrations.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "storage/sqlite_database.h"

namespace studybot::storage {

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "mariadb";
}

void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::kSqlite ? "sqlite" : "mariadb");
}

void StorageTest::SetUp() {
  if (!mysql()) {
    char tmpl[] = "/tmp/studybot-storage-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    temp_dir_ = tmpl;
    url_ = "sqlite:" + temp_dir_ + "/sub/dir/test.db";  // the directories do not exist yet
    std::cout << "[storage] running against sqlite " << SqliteLibraryVersion() << std::endl;
    return;
  }
  auto server = testutil::SharedMariadbServer();
  if (!server.ok()) {
    if (testutil::SkipMysqlTests()) {
      GTEST_SKIP() << "STUDYBOT_TEST_SKIP_MYSQL=1: " << server.error().message;
    }
    FAIL() << "MariaDB test server unavailable: " << server.error().message;
  }
  server_ = server.value();
  static std::atomic<int> counter{0};
  std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  auto url = server_->FreshDatabase(name);
  ASSERT_TRUE(url.ok()) << url.error().message;
  url_ = url.value();
  std::cout << "[storage] running against mariadb " << server_->version() << std::endl;
}

void StorageTest::TearDown() {
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

DatabaseOptions StorageTest::Options() const {
  DatabaseOptions o;
  o.url = url_;
  o.pool_size = 4;
  o.busy_timeout = std::chrono::milliseconds(10'000);
  o.acquire_timeout = std::chrono::milliseconds(10'000);
  o.mysql_ssl_mode = "preferred";
  return o;
}

std::unique_ptr<Database> StorageTest::OpenMigrated(int pool_size) {
  auto options = Options();
  options.pool_size = pool_size;
  auto db = Open(options);
  if (db == nullptr) return nullptr;
  Migrator migrator(*db);
  auto applied = migrator.Migrate();
  EXPECT_TRUE(applied.ok()) << applied.error().message;
  return applied.ok() ? std::move(db) : nullptr;
}

std::unique_ptr<Database> StorageTest::Open(const DatabaseOptions& options) {
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.error().message;
  if (!db.ok()) return nullptr;
  return std::move(db.value());
}

const char* ScratchTableSql(Dialect d) {
  if (d == Dialect::kSqlite) {
    return "CREATE TABLE kv (id INTEGER PRIMARY KEY, i INTEGER, d REAL, s TEXT, b BLOB)";
  }
  return "CREATE TABLE kv (id BIGINT PRIMARY KEY, i BIGINT NULL, d DOUBLE NULL, s LONGTEXT NULL,"
         " b LONGBLOB NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
}

void StorageTest::CreateScratchTable(Database& db) {
  auto conn = db.Acquire();
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto r = conn.value()->Execute(ScratchTableSql(db.dialect()));
  ASSERT_TRUE(r.ok()) << r.error().message;
}

}  // namespace studybot::storage
