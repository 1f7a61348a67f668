// The server with its search index in Qdrant (qdrant.url), against the fake Qdrant on loopback:
// documents become searchable through it; while Qdrant is down, /ready says so, search answers
// 503 and ingestion goes on, and nothing is lost once it is back; a restart resumes from its
// checkpoint without writing every chunk again.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "api_client.h"
#include "fake_qdrant_server.h"
#include "knowledge_fixture.h"
#include "loopback_listener.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

class KnowledgeQdrantTest : public ::testing::Test {
 protected:
  void Start() {
    server_ = std::make_unique<TestServer>([&](Config& c) {
      Knowledge(c);
      c.data_dir = dir_.path().string();
      c.qdrant.url = fake_.base_url();
      c.qdrant.timeout = std::chrono::milliseconds(5000);
    });
    api_ = std::make_unique<ApiClient>(server_->port());
    root_ = api_->Login(kRoot, kPassword);
  }

  void CreateChatbot() {
    bot_ = std::string(
        api_->Post("/api/chatbots",
                   {{"name", "Campus"},
                    {"knowledge", {{"embedder", {{"provider", "builtin"}, {"model", "hashing"}}}}}},
                   root_)
            .at("id")
            .as_string());
    WaitUntil([&] {
      auto r = api_->Get("/api/chatbots/" + bot_, root_);
      return r.status == 200u && r.at("knowledge_status").at("embedder") == "hashing-v1/384";
    });
  }

  std::string Upload(const std::string& title, const std::string& content) {
    auto r = api_->Post("/api/chatbots/" + bot_ + "/documents",
                        {{"title", title}, {"content", content}, {"format", "markdown"}}, root_);
    EXPECT_EQ(r.status, 202u) << r.raw.body();
    std::string id(r.at("id").as_string());
    WaitUntil([&] {
      auto g = api_->Get("/api/chatbots/" + bot_ + "/documents/" + id, root_);
      return g.status == 200u && g.at("status") == "ready";
    });
    return id;
  }

  ApiResponse Search(const std::string& query, const std::string& mode) {
    return api_->Post("/api/chatbots/" + bot_ + "/search", {{"query", query}, {"mode", mode}},
                      root_);
  }

  // Whether a keyword search for `query` eventually finds (or not) the document.
  bool EventuallyFinds(const std::string& query, const std::string& document_id, bool wanted) {
    bool found = false;
    WaitUntil([&] {
      auto r = Search(query, "keyword");
      if (r.status != 200u) return false;
      found = false;
      for (const auto& hit : r.at("results").as_array())
        found = found || hit.at("document_id").as_string() == document_id;
      return found == wanted;
    });
    return found;
  }

  FakeQdrantServer fake_;
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<ApiClient> api_;
  std::string root_;
  std::string bot_;
};

TEST_F(KnowledgeQdrantTest, SearchGoesThroughQdrantAndAnOutageLosesNothing) {
  Start();
  CreateChatbot();
  std::string guide = Upload("Campus guide", kGuide);
  EXPECT_TRUE(EventuallyFinds("library books", guide, true));
  EXPECT_TRUE(fake_.HasCollection("studybot_d384"));
  EXPECT_GT(fake_.PointCount("studybot_d384"), 0u);
  auto hybrid = Search("where do I leave my bike", "hybrid");
  ASSERT_EQ(hybrid.status, 200u) << hybrid.raw.body();
  ASSERT_FALSE(hybrid.at("results").as_array().empty());
  EXPECT_EQ(hybrid.at("embedder").as_string(), "hashing-v1/384");
  auto ready = api_->Get("/ready");
  ASSERT_EQ(ready.status, 200u) << ready.raw.body();
  EXPECT_EQ(ready.at("checks").at("qdrant").at("status").as_string(), "ok");

  // Qdrant goes down: a clear 503, /ready says which dependency, ingestion goes on.
  fake_.FailNext(1'000'000);
  auto down = Search("library", "hybrid");
  EXPECT_EQ(down.status, 503u) << down.raw.body();
  EXPECT_EQ(down.ErrorCode(), "unavailable");
  EXPECT_NE(down.raw.body().find("Qdrant"), std::string::npos) << down.raw.body();
  auto not_ready = api_->Get("/ready");
  EXPECT_EQ(not_ready.status, 503u) << not_ready.raw.body();
  EXPECT_NE(not_ready.at("checks").at("qdrant").at("status").as_string(), "ok");
  std::string menu = Upload("Menu", "# Menu\n\nThe cafeteria cooks lasagne on Thursdays.\n");
  // The follower keeps trying, and says so once, not at every poll.
  auto count = [&](const std::string& what) {
    std::string log = server_->LogText();
    std::size_t n = 0;
    for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1))
      ++n;
    return n;
  };
  WaitUntil([&] { return count("index catch-up failed") > 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several polls of 50 ms
  EXPECT_EQ(count("index catch-up failed"), 1u);
  // Back: the change made while it was down reaches it; a deletion too.
  fake_.ClearFaults();
  EXPECT_TRUE(EventuallyFinds("lasagne", menu, true));
  WaitUntil([&] { return count("index catch-up recovered") > 0; });
  EXPECT_EQ(count("index catch-up recovered"), 1u);
  ASSERT_EQ(api_->Delete("/api/chatbots/" + bot_ + "/documents/" + guide, root_).status, 204u);
  EXPECT_FALSE(EventuallyFinds("library books", guide, false));
  EXPECT_TRUE(EventuallyFinds("lasagne", menu, true));
}

TEST_F(KnowledgeQdrantTest, ARestartResumesFromItsCheckpointWithoutRewritingChunks) {
  Start();
  CreateChatbot();
  std::string guide = Upload("Campus guide", kGuide);
  EXPECT_TRUE(EventuallyFinds("library books", guide, true));
  server_->Stop();  // writes the checkpoint
  ASSERT_TRUE(std::filesystem::exists(dir_.path() / "qdrant.checkpoint"));
  std::size_t writes = fake_.CountCalls("PUT", "/collections/studybot_d384/points");
  ASSERT_GT(writes, 0u);

  Start();
  EXPECT_NE(server_->LogText().find("\"from\":\"checkpoint\""), std::string::npos);
  EXPECT_TRUE(EventuallyFinds("library books", guide, true));
  EXPECT_EQ(fake_.CountCalls("PUT", "/collections/studybot_d384/points"), writes)
      << "the restart wrote chunks Qdrant already had";
  // Changes after the restart still flow.
  std::string menu = Upload("Menu", "# Menu\n\nThe cafeteria cooks lasagne on Thursdays.\n");
  EXPECT_TRUE(EventuallyFinds("lasagne", menu, true));
}

}  // namespace
}  // namespace studybot::testing
