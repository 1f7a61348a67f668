// Migrations on SQLite and MariaDB: apply, idempotence, status, failures, and concurrent nodes.
#include "storage/migrations.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage_fixture.h"

namespace studybot::storage {
namespace {

class MigrationsTest : public StorageTest {};

const char* kTables[] = {"users",     "chatbots",        "chat_sessions",    "chat_messages",
                         "feedbacks", "scraped_content", "analytics_events", "api_keys"};

TEST_P(MigrationsTest, ApplyOnceAndReportStatus) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  Migrator migrator(*db);
  auto before = migrator.GetStatus();
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_TRUE(before->applied.empty());
  ASSERT_FALSE(before->pending.empty());
  EXPECT_EQ(before->pending[0].version, 1);
  EXPECT_EQ(before->pending[0].name, "0001_initial_schema");

  auto applied = migrator.Migrate();
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->size(), before->pending.size());
  auto again = migrator.Migrate();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->empty());

  auto after = migrator.GetStatus();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->pending.empty());
  ASSERT_EQ(after->applied.size(), before->pending.size());
  EXPECT_EQ(after->applied[0].name, "0001_initial_schema");
  EXPECT_EQ(after->applied[0].applied_at.size(), 24u);  // 2026-11-24T11:25:39.123Z

  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  for (const char* table : kTables) {
    auto r = conn.value()->Query(std::string("SELECT COUNT(*) FROM ") + table);
    EXPECT_TRUE(r.ok()) << table << ": " << r.error().message;
  }
}

TEST_P(MigrationsTest, FailedMigrationIsReportedAndStopsTheRun) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  std::string d = DialectName(db->dialect());
  std::vector<EmbeddedMigration> list = {
      {d, 1, "0001_ok", "CREATE TABLE m_ok (x INT)"},
      {d, 2, "0002_broken", "CREATE TABLE m_half (x INT); INSERT INTO no_such_table VALUES (1)"},
      {d, 3, "0003_after", "CREATE TABLE m_after (x INT)"},
  };
  Migrator migrator(*db, list);
  auto r = migrator.Migrate();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0002_broken"), std::string::npos) << r.error().message;
  auto status = migrator.GetStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->applied.size(), 1u);
  ASSERT_EQ(status->pending.size(), 2u);
  auto conn = db->Acquire();
  ASSERT_TRUE(conn.ok());
  EXPECT_FALSE(conn.value()->Query("SELECT * FROM m_after").ok());
  if (!mysql()) {  // SQLite DDL is transactional: nothing of the failed migration remains
    EXPECT_FALSE(conn.value()->Query("SELECT * FROM m_half").ok());
  }
}

// Several nodes start at once; each migration must run exactly once. Every migration appends a
// row, so a double application shows up as a duplicate (or as a failure of the second node).
TEST_P(MigrationsTest, ConcurrentNodesApplyEachMigrationOnce) {
  std::string d = mysql() ? "mysql" : "sqlite";
  std::vector<EmbeddedMigration> list;
  std::vector<std::string> sql(8);
  sql[0] = mysql() ? "CREATE TABLE runs (v INT NOT NULL); INSERT INTO runs VALUES (1)"
                   : "CREATE TABLE runs (v INTEGER NOT NULL); INSERT INTO runs VALUES (1)";
  for (int v = 2; v <= 8; ++v) {
    sql[v - 1] = "INSERT INTO runs VALUES (" + std::to_string(v) + "); CREATE TABLE t" +
                 std::to_string(v) + " (x INT)";
  }
  std::vector<std::string> names;
  for (int v = 1; v <= 8; ++v)
    names.push_back("000" + std::to_string(v) + "_step");
  for (int v = 1; v <= 8; ++v)
    list.push_back({d, v, names[v - 1], sql[v - 1]});

  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Database>> nodes;  // separate pools: separate "servers"
  for (int i = 0; i < kNodes; ++i) {
    nodes.push_back(Open());
    ASSERT_NE(nodes.back(), nullptr);
  }
  std::vector<Result<std::vector<int>>> results(kNodes, Error::Internal("not run"));
  std::vector<Result<std::vector<int>>> real(kNodes, Error::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      Migrator migrator(*nodes[i], list);
      results[i] = migrator.Migrate();
      Migrator embedded(*nodes[i]);  // the real schema, also raced
      real[i] = embedded.Migrate();
    });
  }
  for (auto& t : threads)
    t.join();
  std::multiset<int> applied;
  std::size_t real_applied = 0;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message;
    ASSERT_TRUE(real[i].ok()) << real[i].error().message;
    applied.insert(results[i]->begin(), results[i]->end());
    real_applied += real[i]->size();
  }
  EXPECT_EQ(applied, (std::multiset<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  auto conn = nodes[0]->Acquire();
  ASSERT_TRUE(conn.ok());
  auto runs = conn.value()->Query("SELECT v FROM runs ORDER BY v");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 8u);
  for (int v = 1; v <= 8; ++v)
    EXPECT_EQ(runs->rows[v - 1].GetInt(0), v);
  // The embedded list starts at version 1 too, which the test list already claimed: the real
  // migrations see it as applied. What matters is that no node failed and none ran twice.
  EXPECT_EQ(real_applied, 0u);
}

TEST_P(MigrationsTest, ConcurrentNodesApplyTheRealSchemaOnce) {
  constexpr int kNodes = 3;
  std::vector<std::unique_ptr<Database>> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.push_back(Open());
    ASSERT_NE(nodes.back(), nullptr);
  }
  std::vector<Result<std::vector<int>>> results(kNodes, Error::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] { results[i] = Migrator(*nodes[i]).Migrate(); });
  }
  for (auto& t : threads)
    t.join();
  std::size_t total = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    total += r->size();
  }
  auto status = Migrator(*nodes[0]).GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(total, status->applied.size());
  EXPECT_TRUE(status->pending.empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, MigrationsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariadb), BackendParamName);

}  // namespace
}  // namespace studybot::storage
