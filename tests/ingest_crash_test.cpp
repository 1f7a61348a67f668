// kill -9 in the middle of an ingestion (issue 9): the restarted process takes the job over once
// its lease runs out and finishes it, with no chunk stored twice and none lost. A real child
// process, killed for real.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "process.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

const std::string kBinary = STUDYBOT_BINARY;

std::map<std::string, std::string> Env(const TempDir& dir) {
  return {{"STUDYBOT_DATA_DIR", dir.path().string()},
          {"STUDYBOT_ADMIN_EMAIL", "root@example.com"},
          {"STUDYBOT_ADMIN_PASSWORD", "correct horse battery"},
          {"STUDYBOT_AUTH_BCRYPT_COST", "4"},
          {"STUDYBOT_HTTP_BODY_LIMIT", "4MiB"},
          {"STUDYBOT_RATELIMIT_PER_USER", "1000000/1m"},
          {"STUDYBOT_KNOWLEDGE_JOB_LEASE", "1"},
          {"STUDYBOT_KNOWLEDGE_JOB_POLL_INTERVAL", "50ms"},
          {"STUDYBOT_KNOWLEDGE_INDEX_POLL_INTERVAL", "50ms"}};
}

bool WaitReady(int port) {
  for (int i = 0; i < 1000; ++i) {
    try {
      if (Request(static_cast<uint16_t>(port), boost::beast::http::verb::get, "/ready")
              .result_int() == 200) {
        return true;
      }
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// About 1.5 MB of Markdown in 600 sections whose sentences are all different.
std::string BigDocument() {
  std::string out = "# Handbook\n\n";
  for (int s = 0; s < 600; ++s) {
    out += "## Section " + std::to_string(s) + "\n\n";
    for (int p = 0; p < 6; ++p) {
      for (int w = 0; w < 40; ++w) {
        out += "word" + std::to_string(s) + "x" + std::to_string(p) + "y" + std::to_string(w) + " ";
      }
      out += "end of paragraph " + std::to_string(p) + ".\n\n";
    }
  }
  return out;
}

TEST(IngestCrashTest, KillNineMidIngestionLosesAndDuplicatesNothing) {
  TempDir dir;
  int port = FreePort();
  std::string log = (dir.path() / "out.log").string();
  auto env = Env(dir);
  auto server = std::make_unique<ChildProcess>(
      std::vector<std::string>{kBinary, "serve", "--port", std::to_string(port)}, env, log);
  ASSERT_TRUE(WaitReady(port));
  ApiClient api(static_cast<uint16_t>(port));
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(api.Post("/api/chatbots", {{"name", "Crash"}}, root).at("id").as_string());
  std::string docs = "/api/chatbots/" + bot + "/documents";
  std::string text = BigDocument();
  auto created =
      api.Post(docs, {{"title", "Handbook"}, {"format", "markdown"}, {"content", text}}, root);
  ASSERT_EQ(created.status, 202u) << created.raw.body();
  std::string id(created.at("id").as_string());

  // Kill it while the job is at work (processing, not yet ready).
  std::string seen;
  for (int i = 0; i < 5000; ++i) {
    auto g = api.Get(docs + "/" + id, root);
    seen = std::string(g.at("status").as_string());
    if (seen != "queued") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server->Signal(SIGKILL);
  server->Wait();
  server.reset();
  EXPECT_EQ(seen, "processing") << "the job ended before it could be killed";

  // The restarted process finishes it once the dead worker's lease has run out.
  server = std::make_unique<ChildProcess>(
      std::vector<std::string>{kBinary, "serve", "--port", std::to_string(port)}, env, log);
  ASSERT_TRUE(WaitReady(port));
  root = api.Login("root@example.com", "correct horse battery");
  boost::json::object doc;
  for (int i = 0; i < 3000; ++i) {
    doc = api.Get(docs + "/" + id, root).json.as_object();
    if (doc.at("status") == "ready" || doc.at("status") == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(doc.at("status"), "ready") << boost::json::serialize(doc);
  int64_t stored = doc.at("chunk_count").as_int64();
  EXPECT_EQ(api.Get(docs + "/" + id, root).at("chunks").as_array().size(),
            static_cast<std::size_t>(stored));

  // The same document ingested without a crash, in another chatbot, has the same chunks.
  std::string other(api.Post("/api/chatbots", {{"name", "Reference"}}, root).at("id").as_string());
  auto ref = api.Post("/api/chatbots/" + other + "/documents",
                      {{"title", "Handbook"}, {"format", "markdown"}, {"content", text}}, root);
  ASSERT_EQ(ref.status, 202u);
  std::string ref_id(ref.at("id").as_string());
  boost::json::object ref_doc;
  for (int i = 0; i < 3000; ++i) {
    ref_doc = api.Get("/api/chatbots/" + other + "/documents/" + ref_id, root).json.as_object();
    if (ref_doc.at("status") == "ready") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(ref_doc.at("status"), "ready");
  EXPECT_EQ(ref_doc.at("chunk_count").as_int64(), stored);
  EXPECT_GT(stored, 100);

  // Searchable to its last section.
  bool found = false;
  for (int i = 0; i < 500 && !found; ++i) {
    auto r = api.Post("/api/chatbots/" + bot + "/search",
                      {{"query", "word599x5y39"}, {"mode", "keyword"}}, root);
    found = r.status == 200u && !r.at("results").as_array().empty();
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(found);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);

  // In the database: each chunk once, and the job ran twice (the killed attempt, then ours).
  auto db = OpenMigratedSqlite(dir.path() / "studybot.db");
  auto dup = db->Query(
      "SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM chunks WHERE document_id = ?", {id});
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->rows[0].GetInt(0), stored);
  EXPECT_EQ(dup->rows[0].GetInt(1), stored);
  auto job = db->Query(
      "SELECT status, attempts FROM jobs WHERE chatbot_id = ? AND kind = 'ingest_document'", {bot});
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->size(), 1u);
  EXPECT_EQ(job->rows[0].GetString(0), "succeeded");
  EXPECT_EQ(job->rows[0].GetInt(1), 2);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Restarts open the index from its snapshot and replay the change log after it; after a kill -9
// the snapshot is older, and the replay brings back everything acknowledged since.
TEST(IngestCrashTest, RestartsOpenTheSnapshotAndReplayWhatCameAfter) {
  TempDir dir;
  int port = FreePort();
  std::string log = (dir.path() / "out.log").string();
  auto env = Env(dir);
  env["STUDYBOT_KNOWLEDGE_SNAPSHOT_INTERVAL"] = "1h";  // only at shutdown, for this test
  int run = 0;
  auto start = [&] {
    log = (dir.path() / ("out" + std::to_string(++run) + ".log")).string();
    auto p = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBinary, "serve", "--port", std::to_string(port)}, env, log);
    EXPECT_TRUE(WaitReady(port));
    return p;
  };
  // Log lines are flushed within 200 ms: wait for them.
  auto logged = [&](const std::string& text) {
    for (int i = 0; i < 300; ++i) {
      if (ReadFile(log).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  auto server = start();
  ApiClient api(static_cast<uint16_t>(port));
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(api.Post("/api/chatbots", {{"name", "Snap"}}, root).at("id").as_string());
  auto upload = [&](const std::string& text) {
    auto r =
        api.Post("/api/chatbots/" + bot + "/documents", {{"title", "T"}, {"content", text}}, root);
    EXPECT_EQ(r.status, 202u);
    std::string id(r.at("id").as_string());
    for (int i = 0; i < 2000; ++i) {
      auto g = api.Get("/api/chatbots/" + bot + "/documents/" + id, root);
      if (g.at("status") == "ready") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "not ingested";
  };
  auto finds = [&](const std::string& query) {
    for (int i = 0; i < 400; ++i) {
      auto r = api.Post("/api/chatbots/" + bot + "/search", {{"query", query}, {"mode", "keyword"}},
                        root);
      if (r.status == 200u && !r.at("results").as_array().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  upload("The rowing club trains on the river at dawn.");
  ASSERT_TRUE(finds("rowing club"));
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(), 0);
  EXPECT_TRUE(logged("index snapshot written"));

  server = start();
  root = api.Login("root@example.com", "correct horse battery");
  EXPECT_TRUE(logged("\"from\":\"snapshot\"")) << ReadFile(log);
  EXPECT_TRUE(finds("rowing club"));
  upload("The chess society meets in room twelve on Tuesdays.");
  ASSERT_TRUE(finds("chess society"));
  server->Signal(SIGKILL);  // no snapshot of the chess society
  server->Wait();

  server = start();
  root = api.Login("root@example.com", "correct horse battery");
  EXPECT_TRUE(finds("rowing club"));
  EXPECT_TRUE(finds("chess society"));
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);

  // A corrupt snapshot is not used: the index is rebuilt from the database.
  {
    std::ofstream corrupt(dir.path() / "index.snapshot", std::ios::binary | std::ios::trunc);
    corrupt << "garbage";
  }
  server = start();
  root = api.Login("root@example.com", "correct horse battery");
  EXPECT_TRUE(finds("chess society"));
  EXPECT_TRUE(logged("index snapshot not used"));
  EXPECT_TRUE(logged("\"from\":\"database\""));
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

}  // namespace
}  // namespace studybot::testing
