// The fixture shared by the storage suites: every case runs once against SQLite (a file in a
// temporary directory) and once against MariaDB (a fresh database on the process's throwaway
// server, see mariadb_server.h). Each case logs "[storage] running against ..." so the test log
// shows that both engines ran.
//
// Without mariadbd the MariaDB cases fail, unless STUDYBOT_TEST_SKIP_MYSQL=1 (then they skip).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "mariadb_server.h"
#include "storage/database.h"

namespace studybot::storage {

enum class Backend { kSqlite, kMariadb };

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info);
// Names the backend in gtest failure messages.
void PrintTo(Backend backend, std::ostream* os);

class StorageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool mysql() const { return GetParam() == Backend::kMariadb; }
  // Options for this case's database; pool and timeouts sized for tests.
  DatabaseOptions Options() const;
  // Opens the database or fails the test (use ASSERT_NO_FATAL_FAILURE or check for null).
  std::unique_ptr<Database> Open(const DatabaseOptions& options);
  std::unique_ptr<Database> Open() { return Open(Options()); }
  // Opens with `pool_size` connections and applies every migration (null and a test failure on
  // error), for service-level suites.
  std::unique_ptr<Database> OpenMigrated(int pool_size = 8);
  // Creates scratch table `kv (id, i, d, s, b)` with a 64-bit integer key, a double, long text
  // and a blob, in the dialect's types.
  void CreateScratchTable(Database& db);

  std::string url_;
  std::string temp_dir_;                       // SQLite cases only
  testutil::MariadbServer* server_ = nullptr;  // MariaDB cases only
};

// The SQL type names of the scratch table, by dialect.
const char* ScratchTableSql(Dialect d);

}  // namespace studybot::storage
