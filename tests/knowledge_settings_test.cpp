// Per-chatbot knowledge settings and embedders (issue 9): the settings are validated and shown;
// the default learned embedder trains once the chatbot has content; switching embedders
// re-indexes in the background while search answers from the old vectors; a provider that
// refuses the key leaves the chatbot on its old vectors with a readable error; the language is
// the index's. On SQLite and on MariaDB.
#include "fake_openai_server.h"
#include "knowledge_fixture.h"

namespace studybot::testing {
namespace {

class KnowledgeSettingsTest : public KnowledgeFixture {
 protected:
  boost::json::object Chatbot() {
    return api_->Get("/api/chatbots/" + bot_, root_).json.as_object();
  }

  // Waits for the latest re-index of the chatbot to finish; returns its status.
  std::string WaitReindexed() {
    std::string status;
    WaitUntil([&] {
      auto bot = Chatbot();
      const auto& r = bot.at("knowledge_status").at("reindex");
      status = r.is_object() ? std::string(r.at("status").as_string()) : "";
      return status == "succeeded" || status == "failed";
    });
    return status;
  }

  boost::json::object SearchBody(const std::string& query, const std::string& mode) {
    auto r =
        api_->Post("/api/chatbots/" + bot_ + "/search", {{"query", query}, {"mode", mode}}, root_);
    EXPECT_EQ(r.status, 200u) << r.raw.body();
    return r.status == 200u ? r.json.as_object() : boost::json::object{};
  }

  // Ten one-paragraph documents about different things: enough to learn an embedder from.
  void UploadTopics(const std::string& suffix = "") {
    const char* topics[] = {
        "The library lends books, journals and laptops to students with a card.",
        "The cafeteria cooks vegetarian meals and soups for lunch every weekday.",
        "Bicycles are parked in a covered shed; cars need a parking permit.",
        "Exams take place in June; results are published on the student portal.",
        "The gym has a pool, a climbing wall and fitness classes in the evening.",
        "Tuition fees are paid by bank transfer before the start of the term.",
        "The nurse's office treats minor injuries and gives vaccinations.",
        "Student housing offers single rooms with a shared kitchen on each floor.",
        "The music school teaches piano, violin and singing to beginners.",
        "Lost property is kept at the front desk for thirty days.",
    };
    int n = 0;
    for (const char* t : topics) {
      auto doc = Upload({{"title", "Topic " + std::to_string(++n) + suffix},
                         {"content", std::string(t) + suffix}});
      EXPECT_EQ(doc.at("status"), "ready");
    }
  }
};

TEST_P(KnowledgeSettingsTest, SettingsAreValidatedShownAndKeptOnBadInput) {
  // A new chatbot shows every setting with its default.
  auto fresh = api_->Post("/api/chatbots", {{"name", "Defaults"}}, root_);
  ASSERT_EQ(fresh.status, 201u);
  const auto& k = fresh.at("knowledge").as_object();
  EXPECT_EQ(k.at("retrieval").at("top_k"), 5);
  EXPECT_EQ(k.at("retrieval").at("mode"), "hybrid");
  EXPECT_EQ(k.at("chunking").at("size_tokens"), 400);
  EXPECT_EQ(k.at("chunking").at("overlap_tokens"), 60);
  EXPECT_EQ(k.at("language"), "auto");
  EXPECT_EQ(k.at("embedder").at("provider"), "builtin");
  EXPECT_EQ(k.at("embedder").at("model"), "learned");
  EXPECT_EQ(k.at("embedder").at("dimensions"), 160);
  EXPECT_EQ(k.at("retrieval").at("fusion"), "convex");
  EXPECT_TRUE(fresh.at("knowledge_status").at("embedder").is_null());

  // A patch changes what it names and keeps the rest.
  auto put = api_->Put(
      "/api/chatbots/" + bot_,
      {{"knowledge", {{"retrieval", {{"top_k", 8}}}, {"chunking", {{"size_tokens", 200}}}}}},
      root_);
  ASSERT_EQ(put.status, 200u) << put.raw.body();
  EXPECT_EQ(put.at("knowledge").at("retrieval").at("top_k"), 8);
  EXPECT_EQ(put.at("knowledge").at("retrieval").at("mode"), "hybrid");
  EXPECT_EQ(put.at("knowledge").at("chunking").at("size_tokens"), 200);
  EXPECT_EQ(put.at("knowledge").at("embedder").at("model"), "hashing");

  for (const auto& bad : std::vector<boost::json::value>{
           {{"retrieval", {{"top_k", 0}}}},
           {{"retrieval", {{"mode", "fuzzy"}}}},
           {{"retrieval", {{"score_threshold", -1}}}},
           {{"chunking", {{"size_tokens", 200}, {"overlap_tokens", 150}}}},
           {{"language", "de"}},
           {{"embedder", {{"provider", "cohere"}}}},
           {{"embedder", {{"provider", "builtin"}, {"model", "gpt"}}}},
           {{"embedder", {{"provider", "azure"}, {"deployment", "embed"}}}},
           {{"embedder", {{"provider", "openai"}, {"base_url", "file:///etc/passwd"}}}},
           {{"embedder", {{"provider", "openai"}, {"api_key", "sk-in-the-wrong-place"}}}},
           {{"unknown", true}},
       }) {
    auto r = api_->Put("/api/chatbots/" + bot_, {{"knowledge", bad}}, root_);
    EXPECT_EQ(r.status, 400u) << boost::json::serialize(bad) << " " << r.raw.body();
  }
  auto after = Chatbot();
  EXPECT_EQ(after.at("knowledge").at("retrieval").at("top_k"), 8);
  EXPECT_EQ(after.at("knowledge").at("chunking").at("overlap_tokens"), 60);
  EXPECT_EQ(after.at("knowledge").at("embedder").at("model"), "hashing");

  // The retrieval settings are the search's defaults; a threshold drops weak hits.
  Upload({{"title", "Campus guide"}, {"format", "markdown"}, {"content", kGuide}});
  WaitUntil([&] { return !Search("library opening hours").empty(); });
  auto strict = Search("library opening hours", "hybrid", {{"score_threshold", 0.99}});
  EXPECT_TRUE(strict.empty());
  auto hits = Search("library opening hours", "hybrid");
  ASSERT_FALSE(hits.empty());
  EXPECT_GT(hits[0].at("scores").at("dense").as_double(), 0);
}

TEST_P(KnowledgeSettingsTest, TheLearnedEmbedderTrainsOnceThereIsContentAndSearchUsesIt) {
  ASSERT_EQ(
      api_->Put("/api/chatbots/" + bot_,
                {{"knowledge", {{"embedder", {{"provider", "builtin"}, {"model", "learned"}}}}}},
                root_)
          .status,
      200u);
  // Too little content: keywords alone, and dense search has nothing.
  EXPECT_EQ(WaitReindexed(), "succeeded");
  EXPECT_TRUE(Chatbot().at("knowledge_status").at("embedder").is_null());
  auto one = Upload({{"title", "Notice"}, {"content", "Graduation is held in the great hall."}});
  ASSERT_TRUE(EventuallyFinds("graduation", std::string(one.at("id").as_string()), true));
  auto hybrid = SearchBody("graduation", "hybrid");
  EXPECT_TRUE(hybrid.at("embedder").is_null());
  EXPECT_FALSE(hybrid.at("results").as_array().empty());
  EXPECT_TRUE(SearchBody("graduation", "dense").at("results").as_array().empty());

  UploadTopics();
  std::string model;
  WaitUntil([&] {
    auto bot = Chatbot();
    const auto& e = bot.at("knowledge_status").at("embedder");
    model = e.is_string() ? std::string(e.as_string()) : "";
    return model.starts_with("lsa-v1/");
  });
  ASSERT_TRUE(model.starts_with("lsa-v1/")) << boost::json::serialize(Chatbot());
  // Search uses the embedder whose vectors the index holds: the new one once it has followed.
  WaitUntil([&] { return SearchBody("students", "dense").at("embedder") == model.c_str(); });
  // (a term of at least two chunks: rarer ones are not in the model)
  auto dense = SearchBody("what do students get", "dense");
  EXPECT_EQ(dense.at("embedder").as_string(), model);
  ASSERT_FALSE(dense.at("results").as_array().empty());
  // The model is in the database, once.
  auto models = server_->app().database().Query("SELECT id FROM embedder_models");
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ(models->rows[0].GetString(0), model);

  // Enough new content retrains it; of the older models only the previous one stays (other
  // processes may still embed queries with it until their index follows), with its vectors.
  UploadTopics(" (updated)");
  UploadTopics(" (again)");
  std::string retrained;
  WaitUntil([&] {
    auto bot = Chatbot();
    const auto& e = bot.at("knowledge_status").at("embedder");
    retrained = e.is_string() ? std::string(e.as_string()) : "";
    return retrained.starts_with("lsa-v1/") && retrained != model;
  });
  EXPECT_NE(retrained, model);
  // An admin can ask for a re-index now: the model learns from every chunk.
  auto asked = api_->Post("/api/chatbots/" + bot_ + "/reindex", nullptr, root_);
  ASSERT_EQ(asked.status, 202u) << asked.raw.body();
  EXPECT_EQ(WaitReindexed(), "succeeded");
  // Once the jobs are done (an automatic retrain may still follow the manual one).
  auto& db = server_->app().database();
  auto count = [&](const std::string& sql) {
    auto rows = db.Query(sql);
    return rows.ok() ? rows->rows[0].GetInt(0) : -1;
  };
  const std::string orphans =
      "SELECT COUNT(*) FROM embeddings WHERE embedder LIKE 'lsa-%' AND embedder NOT IN (SELECT id "
      "FROM embedder_models)";
  WaitUntil([&] {
    return count("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')") == 0 &&
           count("SELECT COUNT(*) FROM embedder_models") <= 2 && count(orphans) == 0;
  });
  EXPECT_LE(count("SELECT COUNT(*) FROM embedder_models"), 2);
  EXPECT_EQ(count(orphans), 0);
  auto active = Chatbot().at("knowledge_status").at("embedder");
  ASSERT_TRUE(active.is_string());
  EXPECT_EQ(count("SELECT COUNT(*) FROM embedder_models WHERE id = '" +
                  std::string(active.as_string()) + "'"),
            1);
  std::string other = api_->SignInBotAdmin(
      root_,
      std::string(api_->Post("/api/chatbots", {{"name", "Other"}}, root_).at("id").as_string()));
  EXPECT_EQ(api_->Post("/api/chatbots/" + bot_ + "/reindex", nullptr, other).status, 403u);
  (void)one;
}

TEST_P(KnowledgeSettingsTest, SwitchingToAProviderKeepsTheOldVectorsUntilTheNewOnesAreComplete) {
  FakeOpenAiServer openai;
  auto doc = Upload({{"title", "Campus guide"}, {"format", "markdown"}, {"content", kGuide}});
  ASSERT_TRUE(EventuallyFinds("library", std::string(doc.at("id").as_string()), true));

  // A wrong key: the re-index fails with a readable error and the chatbot keeps its vectors.
  boost::json::object embedder{{"provider", "openai"},
                               {"base_url", openai.base_url()},
                               {"model", "text-embedding-3-small"},
                               {"dimensions", 64}};
  auto put = api_->Put("/api/chatbots/" + bot_,
                       {{"knowledge", {{"embedder", embedder}}},
                        {"secrets", {{"embedder_api_key", "sk-wrong-0123456789"}}}},
                       root_);
  ASSERT_EQ(put.status, 200u) << put.raw.body();
  EXPECT_EQ(put.raw.body().find("sk-wrong-0123456789"), std::string::npos);
  EXPECT_EQ(WaitReindexed(), "failed");
  auto bot = Chatbot();
  const auto& status = bot.at("knowledge_status");
  EXPECT_EQ(status.at("embedder"), "hashing-v1/384");
  EXPECT_TRUE(status.at("target_embedder").is_null());
  std::string error(status.at("reindex").at("error").as_string());
  EXPECT_NE(error.find("401"), std::string::npos) << error;
  EXPECT_EQ(error.find("sk-wrong"), std::string::npos) << error;
  auto during = SearchBody("when does the library close", "dense");
  EXPECT_EQ(during.at("embedder"), "hashing-v1/384");
  EXPECT_FALSE(during.at("results").as_array().empty());
  // Uploads go on meanwhile, on the active embedder.
  auto more = Upload({{"title", "Notice"}, {"content", "Graduation is held in the great hall."}});
  EXPECT_EQ(more.at("status"), "ready");

  // The right key: the re-index runs again and switches at once when every chunk has its vector.
  ASSERT_EQ(api_->Put("/api/chatbots/" + bot_,
                      {{"secrets", {{"embedder_api_key", FakeOpenAiOptions{}.api_key}}}}, root_)
                .status,
            200u);
  EXPECT_EQ(WaitReindexed(), "succeeded");
  EXPECT_EQ(Chatbot().at("knowledge_status").at("embedder"), "openai/text-embedding-3-small/64");
  // Search follows once this process's index has (the follower rebuilds it after the switch).
  boost::json::object dense;
  WaitUntil([&] {
    dense = SearchBody("when does the library close", "dense");
    return dense.at("embedder") == "openai/text-embedding-3-small/64";
  });
  EXPECT_EQ(dense.at("embedder"), "openai/text-embedding-3-small/64");
  EXPECT_FALSE(dense.at("results").as_array().empty());
  // Every chunk was embedded by the provider: the fake saw each text.
  auto chunks = server_->app().database().Query(
      "SELECT COUNT(*) FROM chunks c LEFT JOIN embeddings e ON e.content_hash = c.embed_hash "
      "AND e.embedder = 'openai/text-embedding-3-small/64' WHERE c.chatbot_id = ? AND "
      "e.content_hash IS NULL",
      {bot_});
  EXPECT_EQ(chunks->rows[0].GetInt(0), 0);
  EXPECT_FALSE(openai.Calls().empty());

  // Back to the built-in hashing embedder: its cached vectors make the switch cheap.
  auto calls = openai.Calls().size();
  ASSERT_EQ(
      api_->Put("/api/chatbots/" + bot_,
                {{"knowledge", {{"embedder", {{"provider", "builtin"}, {"model", "hashing"}}}}}},
                root_)
          .status,
      200u);
  EXPECT_EQ(WaitReindexed(), "succeeded");
  EXPECT_EQ(Chatbot().at("knowledge_status").at("embedder"), "hashing-v1/384");
  WaitUntil([&] {
    auto held = server_->app().knowledge().index->SettingsOf(bot_);
    return held && held->embedder == "hashing-v1/384";
  });
  EXPECT_EQ(SearchBody("library", "dense").at("embedder"), "hashing-v1/384");
  EXPECT_EQ(openai.Calls().size(), calls);
}

TEST_P(KnowledgeSettingsTest, AReindexWhoseWorkersKeepDyingIsGivenUpAndKeepsTheActiveEmbedder) {
  EXPECT_EQ(WaitReindexed(), "succeeded");  // SetUp's switch to the hashing embedder
  // As if every worker had died on a re-index towards another embedder.
  auto& db = server_->app().database();
  ASSERT_TRUE(
      db.Write("UPDATE chatbots SET embedder_target = 'openai/x/8' WHERE id = ?", {bot_}).ok());
  ASSERT_TRUE(db.Write("UPDATE jobs SET status = 'running', attempts = max_attempts, "
                       "lease_until = '2000-01-01T00:00:00.000Z', claimed_by = 'dead', "
                       "finished_at = NULL WHERE kind = 'reindex_chatbot'")
                  .ok());
  WaitUntil(
      [&] { return Chatbot().at("knowledge_status").at("reindex").at("status") == "failed"; });
  auto status = Chatbot().at("knowledge_status");
  EXPECT_EQ(status.at("reindex").at("status"), "failed");
  EXPECT_NE(status.at("reindex").at("error").as_string().find("interrupted"), std::string::npos);
  EXPECT_TRUE(status.at("target_embedder").is_null());
  EXPECT_EQ(status.at("embedder"), "hashing-v1/384");
}

TEST_P(KnowledgeSettingsTest, TheLanguageIsTheIndexs) {
  Upload({{"title", "Guide"},
          {"content", "Les étudiants sont heureux à la bibliothèque municipale."}});
  WaitUntil([&] { return !Search("bibliothèque", "keyword").empty(); });
  // English stemming: "heureuse" does not meet "heureux".
  ASSERT_EQ(api_->Put("/api/chatbots/" + bot_, {{"knowledge", {{"language", "en"}}}}, root_).status,
            200u);
  auto language = [&] {
    auto s = server_->app().knowledge().index->SettingsOf(bot_);
    return s ? std::string(search::LanguageName(s->language)) : "";
  };
  WaitUntil([&] { return language() == "en"; });
  EXPECT_TRUE(Search("heureuse", "keyword").empty());
  ASSERT_EQ(api_->Put("/api/chatbots/" + bot_, {{"knowledge", {{"language", "fr"}}}}, root_).status,
            200u);
  WaitUntil([&] { return language() == "fr"; });
  EXPECT_EQ(language(), "fr");
  // French stemming on both sides now.
  EXPECT_FALSE(Search("heureuse", "keyword").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, KnowledgeSettingsTest,
                         ::testing::Values("sqlite", "mariadb", "qdrant"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace studybot::testing
