#include "ingest/embedder_registry.h"

#include "ai/hashing_embedder.h"
#include "ai/learned_embedder.h"
#include "ai/openai_embedder.h"

namespace studybot::ingest {
namespace {

// Learned models kept in memory at once (each up to tens of MB); the least recently added goes.
constexpr std::size_t kMaxLearnedInMemory = 32;

}  // namespace

Result<std::shared_ptr<ai::Embedder>> EmbedderRegistry::Get(
    const std::string& chatbot_id, const std::string& id,
    const chatbots::EmbedderSettings& settings) {
  if (id.empty()) return std::shared_ptr<ai::Embedder>();
  {
    std::lock_guard lock(mu_);
    if (auto it = shared_.find(id); it != shared_.end()) return it->second;
    auto bot = providers_.find(chatbot_id);
    if (bot != providers_.end()) {
      if (auto it = bot->second.find(id); it != bot->second.end()) return it->second;
    }
  }
  if (ai::IsLearnedEmbedderId(id)) return Load(id);
  auto built = Build(chatbot_id, settings);
  if (built.ok() && (*built)->id() == id) return built;
  {
    // The settings no longer make `id` (the chatbot switched away from it): the embedder built
    // before the change, for an index that still holds its vectors until it follows.
    // Kept among the chatbot's embedders from then on (until the next Forget), so that the next
    // query finds it at once instead of building from the settings again.
    std::lock_guard lock(mu_);
    if (auto bot = retired_.find(chatbot_id); bot != retired_.end()) {
      if (auto it = bot->second.find(id); it != bot->second.end()) {
        providers_[chatbot_id][id] = it->second;
        return it->second;
      }
    }
  }
  if (!built.ok()) return built.error();
  return Error::Unavailable("the chatbot's embedder " + id +
                            " cannot be rebuilt from its settings; re-index the chatbot");
}

Result<std::shared_ptr<ai::Embedder>> EmbedderRegistry::Build(const std::string& chatbot_id,
                                                              const chatbots::EmbedderSettings& s) {
  std::shared_ptr<ai::Embedder> made;
  if (s.provider == "builtin") {
    if (s.model != "hashing")
      return Error::InvalidArgument("a learned embedder is trained, not built");
    ai::HashingEmbedder::Options o;
    o.dimensions = s.dimensions;
    made = std::make_shared<ai::HashingEmbedder>(o);
    std::lock_guard lock(mu_);
    return shared_.try_emplace(made->id(), made).first->second;
  }
  ai::OpenAiEmbedder::Options o;
  bool operator_url = false;
  if (s.provider == "azure") {
    o.provider = ai::OpenAiProvider::kAzure;
    o.azure_endpoint = s.endpoint;
    o.azure_deployment = s.deployment;
    o.azure_api_version = s.api_version;
  } else {
    operator_url = s.base_url.empty();
    o.base_url = !s.base_url.empty()                  ? s.base_url
                 : !defaults_.openai_base_url.empty() ? defaults_.openai_base_url
                                                      : o.base_url;
  }
  o.model = s.model;
  if (s.dimensions > 0) o.dimensions = s.dimensions;
  auto key = secrets_(chatbot_id, chatbots::kEmbedderSecret);
  if (!key.ok()) return key.error();
  o.api_key = key->value_or(defaults_.openai_api_key);
  // A provider that answers 429 makes the job wait and retry (JobWorker backoff) rather than
  // parking a worker for minutes.
  o.max_retry_wait = std::chrono::seconds(30);
  auto embedder =
      ai::MakeOpenAiEmbedder(std::move(o), operator_url ? operator_http_ : guarded_http_);
  if (!embedder.ok()) return embedder.error();
  made = std::shared_ptr<ai::Embedder>(std::move(embedder).value());
  std::lock_guard lock(mu_);
  providers_[chatbot_id][made->id()] = made;
  return made;
}

Result<std::shared_ptr<ai::Embedder>> EmbedderRegistry::Load(const std::string& id) {
  auto bytes = store_.LoadModel(id);
  if (!bytes.ok()) return bytes.error();
  if (!bytes->has_value()) {
    return Error::Unavailable("the learned embedder " + id + " is not in the database");
  }
  auto model = ai::LoadLearnedEmbedder(id, **bytes);
  if (!model.ok())
    return Error::Unavailable("the learned embedder " + id +
                              " is unusable: " + model.error().message);
  Remember(*model);
  return model;
}

void EmbedderRegistry::Remember(std::shared_ptr<ai::Embedder> learned) {
  std::lock_guard lock(mu_);
  std::size_t learned_count = 0;
  for (const auto& [id, e] : shared_)
    learned_count += ai::IsLearnedEmbedderId(id) ? 1 : 0;
  if (learned_count >= kMaxLearnedInMemory) {
    // Evicts one learned model (a reload from the database costs a fraction of a second).
    for (auto it = shared_.begin(); it != shared_.end(); ++it) {
      if (ai::IsLearnedEmbedderId(it->first)) {
        shared_.erase(it);
        break;
      }
    }
  }
  shared_[learned->id()] = std::move(learned);
}

void EmbedderRegistry::Forget(const std::string& chatbot_id) {
  std::lock_guard lock(mu_);
  auto bot = providers_.find(chatbot_id);
  if (bot == providers_.end()) return;
  auto& retired = retired_[chatbot_id];
  for (auto& [id, embedder] : bot->second)
    retired[id] = std::move(embedder);
  providers_.erase(bot);
}

}  // namespace studybot::ingest
