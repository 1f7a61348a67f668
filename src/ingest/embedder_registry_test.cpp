// EmbedderRegistry: provider embedders are rebuilt from the chatbot's settings, and the one a
// chatbot switched away from stays usable (for an index that still holds its vectors), while an
// id its settings make again is rebuilt (a new key takes effect).
#include "ingest/embedder_registry.h"

#include <gtest/gtest.h>

#include "test_server.h"

namespace studybot::ingest {
namespace {

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions o;
  o.addresses.allow_private = true;
  return o;
}

chatbots::EmbedderSettings OpenAi(std::string model, int dimensions) {
  chatbots::EmbedderSettings s;
  s.provider = "openai";
  s.model = std::move(model);
  s.dimensions = dimensions;
  s.base_url = "http://127.0.0.1:9/v1";  // never called here
  return s;
}

class EmbedderRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = testing::OpenMigratedSqlite(dir_.path() / "t.db"); }

  std::unique_ptr<EmbedderRegistry> Make() {
    store_ = std::make_unique<EmbedderStore>(*db_);
    return std::make_unique<EmbedderRegistry>(
        *store_,
        [this](const std::string&, const std::string&) -> Result<std::optional<std::string>> {
          return std::optional<std::string>(key_);
        },
        http_, http_, ProviderDefaults{});
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<EmbedderStore> store_;
  outbound::CurlHttpClient http_{AllowLoopback()};
  std::string key_ = "sk-first-0123456789";
};

TEST_F(EmbedderRegistryTest, TheEmbedderSwitchedAwayFromStaysUsableUntilTheIndexFollows) {
  auto registry = Make();
  auto a = OpenAi("text-embedding-3-small", 64);
  auto built = registry->Build("bot", a);
  ASSERT_TRUE(built.ok()) << built.error().message;
  std::string id_a = (*built)->id();
  // The chatbot moves to another model: its settings are B's now.
  auto b = OpenAi("text-embedding-3-large", 256);
  registry->Forget("bot");
  auto held = registry->Get("bot", id_a, b);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_EQ(held->get(), built->get()) << "A's embedder, kept for the index still holding A";
  // B itself is built from the settings.
  auto id_b = registry->Build("bot", b);
  ASSERT_TRUE(id_b.ok());
  auto got_b = registry->Get("bot", (*id_b)->id(), b);
  ASSERT_TRUE(got_b.ok());
  EXPECT_NE((*got_b)->id(), id_a);
  // Another chatbot never gets it.
  auto other = registry->Get("other", id_a, b);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kUnavailable);
}

TEST_F(EmbedderRegistryTest, ANewKeyRebuildsTheSameIdRatherThanReusingTheRetiredOne) {
  auto registry = Make();
  auto a = OpenAi("text-embedding-3-small", 64);
  auto first = registry->Build("bot", a);
  ASSERT_TRUE(first.ok());
  key_ = "sk-second-0123456789";
  registry->Forget("bot");
  auto again = registry->Get("bot", (*first)->id(), a);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->get(), first->get()) << "rebuilt with the new key";
  EXPECT_EQ((*again)->id(), (*first)->id());
}

}  // namespace
}  // namespace studybot::ingest
