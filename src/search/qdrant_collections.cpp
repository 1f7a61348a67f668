#include "search/qdrant_collections.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace studybot::search {
namespace {

namespace json = boost::json;

constexpr int kCheckpointFormat = 1;

// The length of the first vector among `chunks`, 0 when none has one.
int VectorLength(const std::vector<IndexedChunk>& chunks) {
  for (const IndexedChunk& c : chunks) {
    if (!c.vector.empty()) return static_cast<int>(c.vector.size());
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<QdrantCollections>> QdrantCollections::Make(QdrantIndexOptions options,
                                                                   outbound::HttpClient& http) {
  if (auto valid = options.Validate(); !valid.ok()) return std::move(valid).error();
  return std::unique_ptr<QdrantCollections>(new QdrantCollections(std::move(options), http));
}

Result<QdrantIndex*> QdrantCollections::Collection(int dimensions) {
  std::lock_guard lock(mu_);
  auto it = collections_.find(dimensions);
  if (it != collections_.end()) return it->second.get();
  QdrantIndexOptions o = options_;
  o.dimensions = dimensions;
  auto made = MakeQdrantIndex(std::move(o), http_);
  if (!made.ok()) return std::move(made).error();
  QdrantIndex* index = made->get();
  collections_.emplace(dimensions, std::move(made).value());
  return index;
}

QdrantIndex* QdrantCollections::Routed(const std::string& chatbot_id) {
  std::lock_guard lock(mu_);
  auto route = routes_.find(chatbot_id);
  if (route == routes_.end()) return nullptr;
  auto it = collections_.find(route->second);
  return it == collections_.end() ? nullptr : it->second.get();
}

Status QdrantCollections::Upsert(const std::string& chatbot_id,
                                 const std::vector<IndexedChunk>& chunks) {
  if (QdrantIndex* routed = Routed(chatbot_id)) return routed->Upsert(chatbot_id, chunks);
  // First seen here: routed by its vectors (the collection refuses a page of mixed lengths).
  int length = VectorLength(chunks);
  if (length == 0) length = options_.dimensions;
  auto index = Collection(length);
  if (!index.ok()) return std::move(index).error();
  if (auto written = (*index)->Upsert(chatbot_id, chunks); !written.ok()) return written;
  std::lock_guard lock(mu_);
  routes_.emplace(chatbot_id, length);
  return OkStatus();
}

Status QdrantCollections::Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) {
  QdrantIndex* routed = Routed(chatbot_id);
  if (routed == nullptr) return OkStatus();  // nothing of the chatbot was written here
  return routed->Remove(chatbot_id, ids);
}

Status QdrantCollections::DropChatbot(const std::string& chatbot_id) {
  std::vector<QdrantIndex*> all;
  {
    std::lock_guard lock(mu_);
    routes_.erase(chatbot_id);
    for (auto& [length, index] : collections_)
      all.push_back(index.get());
  }
  if (all.empty()) {
    // A process that has written nothing yet (e.g. restarted without a checkpoint): the chatbot
    // may still have points in the default collection.
    auto index = Collection(options_.dimensions);
    if (!index.ok()) return std::move(index).error();
    all.push_back(*index);
  }
  // Every collection this process knows: leftovers of an earlier route go too.
  for (QdrantIndex* index : all) {
    if (auto dropped = index->DropChatbot(chatbot_id); !dropped.ok()) return dropped;
  }
  return OkStatus();
}

Status QdrantCollections::ReplaceChatbot(const std::string& chatbot_id,
                                         const ChatbotIndexSettings& settings,
                                         const ChunkPager& pager) {
  // The first page decides the collection; it is handed to the index again, not re-read.
  auto first = pager(0);
  if (!first.ok()) return std::move(first).error();
  int length = VectorLength(*first);
  int previous = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = routes_.find(chatbot_id); it != routes_.end()) previous = it->second;
  }
  if (length == 0) {
    // No vector on the first page: keyword only, or vectors still to come (the previous route
    // is then the best guess).
    length = settings.embedder.empty() || previous == 0 ? options_.dimensions : previous;
  }
  auto index = Collection(length);
  if (!index.ok()) return std::move(index).error();
  bool handed = false;
  auto replaced = (*index)->ReplaceChatbot(chatbot_id, settings,
                                           [&](int64_t after) -> Result<std::vector<IndexedChunk>> {
                                             if (after == 0 && !handed) {
                                               handed = true;
                                               return std::move(first).value();
                                             }
                                             return pager(after);
                                           });
  if (!replaced.ok()) return replaced;
  QdrantIndex* old = nullptr;
  {
    std::lock_guard lock(mu_);
    routes_[chatbot_id] = length;
    if (previous != 0 && previous != length) old = collections_.at(previous).get();
  }
  if (old != nullptr) {
    // Searches already go to the new collection; a failure here only leaves unseen points
    // (see the header).
    (void)old->DropChatbot(chatbot_id);
  }
  return OkStatus();
}

std::optional<ChatbotIndexSettings> QdrantCollections::SettingsOf(const std::string& chatbot_id) {
  QdrantIndex* routed = Routed(chatbot_id);
  if (routed == nullptr) return std::nullopt;
  return routed->SettingsOf(chatbot_id);
}

Result<std::vector<Hit>> QdrantCollections::Search(const IndexQuery& query) {
  QdrantIndex* routed = Routed(query.chatbot_id);
  if (routed == nullptr) return std::vector<Hit>();  // nothing indexed for the chatbot
  return routed->Search(query);
}

void QdrantCollections::Save(std::string& out, int64_t position) {
  json::object bots;
  {
    std::lock_guard lock(mu_);
    for (const auto& [bot, length] : routes_) {
      auto settings = collections_.at(length)->SettingsOf(bot);
      // A chatbot first seen by Upsert has the default settings.
      ChatbotIndexSettings s = settings.value_or(ChatbotIndexSettings{});
      bots[bot] = json::object{
          {"language", LanguageName(s.language)}, {"embedder", s.embedder}, {"dimensions", length}};
    }
  }
  out += json::serialize(json::object{{"format", kCheckpointFormat},
                                      {"base_url", options_.base_url},
                                      {"collection_prefix", options_.collection_prefix},
                                      {"position", position},
                                      {"chatbots", std::move(bots)}});
}

Result<int64_t> QdrantCollections::Load(std::string_view data) {
  auto bad = [](const std::string& why) {
    return Error::InvalidArgument("Qdrant checkpoint not usable: " + why);
  };
  boost::system::error_code ec;
  json::value doc = json::parse(data, ec);
  const json::object* o = !ec ? doc.if_object() : nullptr;
  if (o == nullptr) return bad("not a JSON object");
  const json::value* format = o->if_contains("format");
  if (format == nullptr || !format->is_int64() || format->get_int64() != kCheckpointFormat) {
    return bad("unknown format");
  }
  const json::value* base = o->if_contains("base_url");
  const json::value* prefix = o->if_contains("collection_prefix");
  if (base == nullptr || !base->is_string() || base->get_string() != options_.base_url ||
      prefix == nullptr || !prefix->is_string() ||
      prefix->get_string() != options_.collection_prefix) {
    return bad("written for another Qdrant URL or collection prefix");
  }
  const json::value* position = o->if_contains("position");
  const json::value* bots = o->if_contains("chatbots");
  if (position == nullptr || !position->is_int64() || position->get_int64() < 0 ||
      bots == nullptr || !bots->is_object()) {
    return bad("no position or chatbots");
  }
  struct Entry {
    std::string bot;
    ChatbotIndexSettings settings;
    int length = 0;
  };
  std::vector<Entry> entries;
  for (const auto& [bot, v] : bots->get_object()) {
    const json::object* e = v.if_object();
    const json::value* language = e != nullptr ? e->if_contains("language") : nullptr;
    const json::value* embedder = e != nullptr ? e->if_contains("embedder") : nullptr;
    const json::value* length = e != nullptr ? e->if_contains("dimensions") : nullptr;
    if (language == nullptr || !language->is_string() || embedder == nullptr ||
        !embedder->is_string() || length == nullptr || !length->is_int64()) {
      return bad("a chatbot entry is malformed");
    }
    auto lang = ParseLanguage(language->get_string());
    if (!lang.ok()) return bad("unknown language");
    entries.push_back({std::string(bot),
                       {*lang, std::string(embedder->get_string())},
                       static_cast<int>(length->get_int64())});
  }
  // Validated whole before anything changes.
  for (const Entry& e : entries) {
    QdrantIndexOptions check = options_;
    check.dimensions = e.length;
    if (!check.Validate().ok()) return bad("a vector length out of range");
  }
  std::map<std::string, int> routes;
  for (const Entry& e : entries) {
    auto index = Collection(e.length);
    if (!index.ok()) return std::move(index).error();
    (*index)->Adopt(e.bot, e.settings);
    routes[e.bot] = e.length;
  }
  std::lock_guard lock(mu_);
  routes_ = std::move(routes);
  return position->get_int64();
}

std::map<std::string, ChatbotIndexSettings> QdrantCollections::AllSettings() {
  std::map<std::string, ChatbotIndexSettings> out;
  std::lock_guard lock(mu_);
  for (const auto& [bot, length] : routes_)
    out[bot] = collections_.at(length)->SettingsOf(bot).value_or(ChatbotIndexSettings{});
  return out;
}

Status QdrantCollections::Ping() {
  auto index = Collection(options_.dimensions);
  if (!index.ok()) return std::move(index).error();
  return (*index)->Ping();
}

Result<std::vector<std::string>> QdrantCollections::MissingCollections() {
  std::vector<QdrantIndex*> routed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [length, index] : collections_) {
      for (const auto& [bot, l] : routes_) {
        if (l == length) {
          routed.push_back(index.get());
          break;
        }
      }
    }
  }
  std::vector<std::string> missing;
  for (QdrantIndex* index : routed) {
    auto exists = index->CollectionExists();
    if (!exists.ok()) return std::move(exists).error();
    if (!*exists) missing.push_back(index->collection());
  }
  return missing;
}

std::string QdrantCollections::CollectionOf(const std::string& chatbot_id) {
  QdrantIndex* routed = Routed(chatbot_id);
  return routed == nullptr ? "" : routed->collection();
}

}  // namespace studybot::search
