// Knowledge end to end (issue 9): documents uploaded through the API become searchable once
// their ingestion job has run; replaced and deleted documents leave the index; bad input is a
// 4xx that writes nothing.
#include "knowledge_fixture.h"

namespace studybot::testing {
namespace {

using KnowledgeTest = KnowledgeFixture;

TEST_P(KnowledgeTest, UploadThenSearchFindsItWithCitationsAndMarkedSnippets) {
  auto doc = Upload({{"title", "Campus guide"},
                     {"url", "https://school.example.com/guide"},
                     {"format", "markdown"},
                     {"content", kGuide},
                     {"tags", {"campus"}}});
  ASSERT_EQ(doc.at("status"), "ready") << boost::json::serialize(doc);
  EXPECT_GE(doc.at("chunk_count").as_int64(), 1);
  std::string id(doc.at("id").as_string());
  ASSERT_TRUE(EventuallyFinds("when does the library close", id, true));

  auto hits = Search("when does the library close");
  ASSERT_FALSE(hits.empty());
  const auto& top = hits[0].as_object();
  EXPECT_EQ(top.at("document_id").as_string(), id);
  EXPECT_EQ(top.at("title"), "Campus guide");
  EXPECT_EQ(top.at("url"), "https://school.example.com/guide#library");
  EXPECT_EQ(top.at("heading_path").as_array().back(), "Library");
  EXPECT_NE(top.at("snippet").as_string().find("<mark>library</mark>"), std::string::npos)
      << top.at("snippet");
  EXPECT_TRUE(top.at("ranks").at("keyword").is_int64());
  EXPECT_GT(top.at("score").as_double(), 0);

  // Each mode answers; keyword mode has no dense rank.
  auto keyword = Search("vegetarian lunches", "keyword");
  ASSERT_FALSE(keyword.empty());
  EXPECT_TRUE(keyword[0].at("ranks").at("dense").is_null());
  EXPECT_FALSE(Search("vegetarian lunches", "dense").empty());

  // Filters: the tag matches, another tag or source does not.
  EXPECT_FALSE(Search("library", "hybrid", {{"filters", {{"tags", {"campus"}}}}}).empty());
  EXPECT_TRUE(Search("library", "hybrid", {{"filters", {{"tags", {"other"}}}}}).empty());
  EXPECT_TRUE(Search("library", "hybrid", {{"filters", {{"source", "crawl"}}}}).empty());
  EXPECT_FALSE(
      Search("library", "hybrid", {{"filters", {{"url_prefix", "https://school.example.com/"}}}})
          .empty());

  // The document with its chunks.
  auto got = api_->Get(Docs() + "/" + id, root_);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.at("chunks").as_array().size(),
            static_cast<std::size_t>(doc.at("chunk_count").as_int64()));
  // The list, filtered.
  EXPECT_EQ(api_->Get(Docs() + "?status=ready", root_).at("items").as_array().size(), 1u);
  EXPECT_EQ(api_->Get(Docs() + "?source=crawl", root_).at("items").as_array().size(), 0u);
  EXPECT_EQ(api_->Get(Docs() + "?status=bogus", root_).status, 400u);
}

TEST_P(KnowledgeTest, ReplaceAndDeleteLeaveTheIndex) {
  auto doc = Upload({{"title", "Notice"}, {"content", "The swimming pool is closed for repairs."}});
  std::string id(doc.at("id").as_string());
  ASSERT_TRUE(EventuallyFinds("swimming pool", id, true));

  auto r = api_->Call(verb::put, Docs() + "/" + id,
                      boost::json::value{{"title", "Notice"},
                                         {"content", "The observatory opens on Friday nights."}},
                      root_);
  ASSERT_EQ(r.status, 202u) << r.raw.body();
  EXPECT_EQ(r.at("version").as_int64(), 2);
  auto replaced = WaitSettled(id);
  EXPECT_EQ(replaced.at("status"), "ready");
  EXPECT_TRUE(EventuallyFinds("observatory friday", id, true));
  EXPECT_FALSE(EventuallyFinds("swimming pool repairs", id, false));

  EXPECT_EQ(api_->Delete(Docs() + "/" + id, root_).status, 204u);
  EXPECT_EQ(api_->Get(Docs() + "/" + id, root_).status, 404u);
  EXPECT_FALSE(EventuallyFinds("observatory friday", id, false));
  EXPECT_EQ(api_->Delete(Docs() + "/" + id, root_).status, 404u);
}

TEST_P(KnowledgeTest, ExactDuplicateChunksAreStoredOnce) {
  auto first = Upload({{"title", "A"}, {"content", "Exams start on the third of June."}});
  auto second = Upload({{"title", "B"}, {"content", "Exams start on the third of June."}});
  EXPECT_EQ(first.at("chunk_count").as_int64(), 1);
  EXPECT_EQ(second.at("chunk_count").as_int64(), 0);
  auto rows = server_->app().database().Query("SELECT COUNT(*) FROM chunks");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0].GetInt(0), 1);
  // The same text is embedded once: one cache row.
  auto cached = server_->app().database().Query("SELECT COUNT(*) FROM embeddings");
  EXPECT_EQ(cached->rows[0].GetInt(0), 1);
}

TEST_P(KnowledgeTest, BadInputIsA4xxAndWritesNothing) {
  auto count = [&](const char* table) {
    auto rows = server_->app().database().Query(std::string("SELECT COUNT(*) FROM ") + table);
    return rows.ok() ? rows->rows[0].GetInt(0) : -1;
  };
  for (const auto& body : std::vector<boost::json::value>{
           {{"title", "x"}, {"content", ""}},
           {{"title", "x"}},
           {{"content", "text"}},
           {{"title", "x"}, {"content", "text"}, {"unknown", 1}},
           {{"title", "x"}, {"content", "text"}, {"format", "pdf"}},
           {{"title", "x"}, {"content", "text"}, {"format", "docx"}},
           {{"title", std::string("a\0b", 3)}, {"content", "text"}},
           {{"title", "x"}, {"content", "text"}, {"tags", {"a", "a"}}},
       }) {
    auto r = api_->Post(Docs(), body, root_);
    EXPECT_EQ(r.status, 400u) << boost::json::serialize(body) << " " << r.raw.body();
  }
  // A query of 100 KB.
  auto big = api_->Post("/api/chatbots/" + bot_ + "/search",
                        {{"query", std::string(100 * 1024, 'q')}}, root_);
  EXPECT_EQ(big.status, 400u);
  EXPECT_LT(big.raw.body().size(), 4096u);
  EXPECT_EQ(
      api_->Post("/api/chatbots/" + bot_ + "/search", {{"query", "x"}, {"top_k", 0}}, root_).status,
      400u);
  // Unknown chatbot, unknown document.
  EXPECT_EQ(api_->Get(Docs() + "/00000000-0000-4000-8000-000000000000", root_).status, 404u);
  EXPECT_EQ(api_->Post("/api/chatbots/00000000-0000-4000-8000-000000000000/documents",
                       {{"title", "x"}, {"content", "y"}}, root_)
                .status,
            404u);
  EXPECT_EQ(count("documents"), 0);
  EXPECT_EQ(count("jobs"), 1);  // the chatbot's re-index onto the hashing embedder (SetUp)
  EXPECT_EQ(count("chunks"), 0);

  // Another chatbot's admin: 403 before the body is read.
  std::string mine(api_->Post("/api/chatbots", {{"name", "Mine"}}, root_).at("id").as_string());
  std::string other = api_->SignInBotAdmin(root_, mine);
  EXPECT_EQ(api_->Post(Docs(), {{"title", "x"}, {"content", "y"}}, other).status, 403u);
  EXPECT_EQ(api_->Get(Docs(), other).status, 403u);
  EXPECT_EQ(api_->Post("/api/chatbots/" + bot_ + "/search", {{"query", "library"}}, other).status,
            403u);
}

TEST_P(KnowledgeTest, ADocumentWhoseWorkersKeepDyingIsGivenUp) {
  auto doc = Upload({{"title", "Notice"}, {"content", "Graduation is held in the great hall."}});
  std::string id(doc.at("id").as_string());
  // As if every worker had died on it: running, its attempts used up, the lease expired.
  auto& db = server_->app().database();
  ASSERT_TRUE(db.Write("UPDATE jobs SET status = 'running', attempts = max_attempts, "
                       "lease_until = '2000-01-01T00:00:00.000Z', claimed_by = 'dead' "
                       "WHERE kind = 'ingest_document'")
                  .ok());
  ASSERT_TRUE(db.Write("UPDATE documents SET status = 'processing' WHERE id = ?", {id}).ok());
  auto settled = WaitSettled(id);
  EXPECT_EQ(settled.at("status"), "failed");
  EXPECT_NE(settled.at("error").as_string().find("interrupted"), std::string::npos)
      << boost::json::serialize(settled);
  // The job ends just after the document says so.
  std::string job_status;
  WaitUntil([&] {
    auto job = db.Query("SELECT status FROM jobs WHERE kind = 'ingest_document'");
    job_status = job.ok() && job->rows.size() == 1 ? job->rows[0].GetString(0) : "";
    return job_status == "failed";
  });
  EXPECT_EQ(job_status, "failed");
  // A new version is a new job: it gets its attempts again.
  auto put = api_->Put(Docs() + "/" + id,
                       {{"title", "Notice"}, {"content", "Graduation is in June."}}, root_);
  ASSERT_EQ(put.status, 202u) << put.raw.body();
  EXPECT_EQ(WaitSettled(id).at("status"), "ready");
}

TEST_P(KnowledgeTest, DeletingTheChatbotEmptiesItsIndex) {
  auto doc = Upload({{"title", "Notice"}, {"content", "Graduation is held in the great hall."}});
  ASSERT_TRUE(EventuallyFinds("graduation hall", std::string(doc.at("id").as_string()), true));
  EXPECT_EQ(api_->Delete("/api/chatbots/" + bot_, root_).status, 204u);
  auto rows = server_->app().database().Query("SELECT COUNT(*) FROM chunks");
  EXPECT_EQ(rows->rows[0].GetInt(0), 0);
  WaitUntil([&] { return IndexSize() == 0; });
  EXPECT_EQ(IndexSize(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, KnowledgeTest, ::testing::Values("sqlite", "mariadb", "qdrant"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace studybot::testing
