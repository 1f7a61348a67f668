// Migrations on SQLite and MariaDB: apply, idempotence, status, failures, and concurrent nodes.
#include "storage/migrations.h"

#include <gtest/gtest.h>

#include <algorithm>
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
  // As many steps as the real schema has versions, so that the real list then finds nothing to do.
  int steps = 0;
  for (const auto& m : EmbeddedMigrations()) {
    if (m.dialect == d) steps = std::max(steps, m.version);
  }
  std::vector<EmbeddedMigration> list;
  std::vector<std::string> sql(steps);
  sql[0] = mysql() ? "CREATE TABLE runs (v INT NOT NULL); INSERT INTO runs VALUES (1)"
                   : "CREATE TABLE runs (v INTEGER NOT NULL); INSERT INTO runs VALUES (1)";
  for (int v = 2; v <= steps; ++v) {
    sql[v - 1] = "INSERT INTO runs VALUES (" + std::to_string(v) + "); CREATE TABLE t" +
                 std::to_string(v) + " (x INT)";
  }
  std::vector<std::string> names;
  for (int v = 1; v <= steps; ++v)
    names.push_back((v < 10 ? "000" : "00") + std::to_string(v) + "_step");
  for (int v = 1; v <= steps; ++v)
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
  std::multiset<int> once;
  for (int v = 1; v <= steps; ++v)
    once.insert(v);
  EXPECT_EQ(applied, once);
  auto conn = nodes[0]->Acquire();
  ASSERT_TRUE(conn.ok());
  auto runs = conn.value()->Query("SELECT v FROM runs ORDER BY v");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), static_cast<std::size_t>(steps));
  for (int v = 1; v <= steps; ++v)
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

// 0009 moves crawls onto the generic job queue: a crawl queued or running under the old runner
// gets its queue job, a finished one none, and the old lease columns go.
TEST_P(MigrationsTest, CrawlsQueuedBeforeTheJobQueueGetTheirQueueJob) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  std::string d = DialectName(db->dialect());
  std::vector<EmbeddedMigration> before;
  for (const auto& m : EmbeddedMigrations()) {
    if (m.dialect == d && m.version < 9) before.push_back(m);
  }
  ASSERT_TRUE(Migrator(*db, before).Migrate().ok());
  ASSERT_TRUE(db->Write("INSERT INTO chatbots (id, name, description, system_prompt, model, "
                        "allowed_domains, widget_settings, created_at, updated_at) VALUES "
                        "('bot', 'Bot', '', '', 'm', '[]', '{}', 'now', 'now')")
                  .ok());
  for (const char* row : {"('j1', 'queued', '2026-01-01T00:00:01.000Z', NULL, NULL)",
                          "('j2', 'running', '2026-01-01T00:00:02.000Z', "
                          "'2026-01-01T00:01:00.000Z', 'token')",
                          "('j3', 'succeeded', '2026-01-01T00:00:03.000Z', NULL, NULL)"}) {
    auto st = db->Write(
        std::string("INSERT INTO scrape_jobs (chatbot_id, id, status, created_at, lease_until, "
                    "claimed_by) VALUES ('bot', ") +
        (row + 1));
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  auto applied = Migrator(*db).Migrate();
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  auto jobs = db->Query(
      "SELECT id, kind, chatbot_id, payload, status, attempts, run_after FROM jobs ORDER BY id");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ(jobs->rows[0].GetString(0), "j1");
  EXPECT_EQ(jobs->rows[0].GetString(1), "crawl");
  EXPECT_EQ(jobs->rows[0].GetString(2), "bot");
  EXPECT_EQ(jobs->rows[0].GetString(3), "{\"scrape_job_id\":\"j1\"}");
  EXPECT_EQ(jobs->rows[0].GetString(4), "queued");
  EXPECT_EQ(jobs->rows[0].GetInt(5), 0);
  EXPECT_EQ(jobs->rows[0].GetString(6), "2026-01-01T00:00:01.000Z");
  EXPECT_EQ(jobs->rows[1].GetString(3), "{\"scrape_job_id\":\"j2\"}");
  EXPECT_EQ(jobs->rows[1].GetString(4), "queued");
  EXPECT_FALSE(db->Query("SELECT lease_until FROM scrape_jobs").ok());
  EXPECT_FALSE(db->Query("SELECT claimed_by FROM scrape_jobs").ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, MigrationsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariadb), BackendParamName);

}  // namespace
}  // namespace studybot::storage
