#include "ingest/index_follower.h"

#include <set>
#include <unordered_set>

#include "ingest/embedder_store.h"
#include "ingest/pipeline.h"

namespace studybot::ingest {
namespace {

constexpr int kBatch = 500;

}  // namespace

search::IndexedChunk ToIndexed(const ChunkForIndex& c) {
  search::IndexedChunk out;
  out.id = c.id;
  out.document_id = c.document_id;
  out.source = c.source;
  out.url = c.url;
  out.tags = c.tags;
  // The title and headings count for keyword search: a section's key words are often there.
  out.keyword_text = c.title;
  for (const auto& h : c.heading_path) {
    out.keyword_text += '\n';
    out.keyword_text += h;
  }
  out.keyword_text += '\n';
  out.keyword_text += c.text;
  out.vector = UnpackVector(c.vector);
  return out;
}

namespace {

search::ChatbotIndexSettings SettingsFrom(const std::string& language,
                                          const std::string& embedder) {
  search::ChatbotIndexSettings s;
  auto parsed = search::ParseLanguage(language);
  if (parsed.ok()) s.language = *parsed;
  s.embedder = embedder;
  return s;
}

}  // namespace

Status IndexFollower::LoadAll() {
  std::lock_guard lock(apply_mu_);
  return LoadAllLocked();
}

void IndexFollower::LoadAllLater() {
  std::lock_guard lock(apply_mu_);
  load_pending_ = true;
}

Status IndexFollower::LoadAllLocked() {
  // The position is taken first: changes committed while loading are applied again after.
  auto last = docs_.LastChangeSeq();
  if (!last.ok()) return last.error();
  auto bots = docs_.ChatbotIndexRows();
  if (!bots.ok()) return bots.error();
  for (const auto& bot : *bots) {
    auto loaded = Load(bot.id, SettingsFrom(bot.language, bot.embedder));
    if (!loaded.ok()) return loaded;
  }
  position_ = *last;
  gaps_.clear();
  load_pending_ = false;
  checkpointed_ = -1;  // worth a snapshot
  return OkStatus();
}

Status IndexFollower::Load(const std::string& chatbot_id,
                           const search::ChatbotIndexSettings& settings) {
  // The chatbot's embedder (or language) may change while its chunks are read: a page then
  // carries other settings, the half-built index is dropped (ReplaceChatbot swaps nothing when
  // the pager fails) and the load starts over with the new settings.
  search::ChatbotIndexSettings current = settings;
  for (int attempt = 0;; ++attempt) {
    std::optional<search::ChatbotIndexSettings> moved;
    auto replaced = index_.ReplaceChatbot(
        chatbot_id, current, [&](int64_t after) -> Result<std::vector<search::IndexedChunk>> {
          if (abandon_.load()) return Error::Unavailable("the index follower is stopping");
          auto rows = docs_.ChatbotChunksForIndex(chatbot_id, after, kBatch);
          if (!rows.ok()) return rows.error();
          std::vector<search::IndexedChunk> out;
          out.reserve(rows->size());
          for (const auto& r : *rows) {
            auto theirs = SettingsFrom(r.language, r.embedder);
            if (!(theirs == current)) {
              moved = theirs;
              return Error::Conflict("the chatbot's index settings changed while loading");
            }
            out.push_back(ToIndexed(r));
          }
          return out;
        });
    if (replaced.ok()) {
      known_[chatbot_id] = current;
      return OkStatus();
    }
    if (!moved || attempt == 3) return replaced;
    current = *moved;
  }
}

Status IndexFollower::Reload(const std::string& chatbot_id) {
  auto row = docs_.ChatbotIndexRowOf(chatbot_id);
  if (!row.ok()) return row.error();
  if (!row->has_value()) {
    known_.erase(chatbot_id);
    return index_.DropChatbot(chatbot_id);
  }
  return Load(chatbot_id, SettingsFrom((*row)->language, (*row)->embedder));
}

Status IndexFollower::Apply(const std::vector<int64_t>& ids, const std::string& chatbot_id) {
  auto rows = docs_.ChunksForIndex(ids);
  if (!rows.ok()) return rows.error();
  std::vector<search::IndexedChunk> present;
  std::unordered_set<int64_t> seen;
  for (const auto& r : *rows) {
    // A chatbot this index has not loaded with its language and embedder yet (new, or changed
    // under us before its reload arrives): load it whole, which covers these changes.
    auto want = SettingsFrom(r.language, r.embedder);
    auto known = known_.find(chatbot_id);
    if (known == known_.end() || !(known->second == want)) return Load(chatbot_id, want);
    seen.insert(r.id);
    present.push_back(ToIndexed(r));
  }
  std::vector<int64_t> gone;
  for (int64_t id : ids) {
    if (!seen.count(id)) gone.push_back(id);
  }
  if (!present.empty()) {
    auto up = index_.Upsert(chatbot_id, present);
    if (!up.ok()) return up;
  }
  if (!gone.empty()) return index_.Remove(chatbot_id, gone);
  return OkStatus();
}

Status IndexFollower::CatchUp() {
  std::lock_guard lock(apply_mu_);
  if (load_pending_) {
    if (auto loaded = LoadAllLocked(); !loaded.ok()) return loaded;
  }
  for (;;) {
    int64_t from = position_.load();
    auto changes = docs_.ChangesAfter(from, kBatch);
    if (!changes.ok()) return changes.error();
    if (changes->empty()) return OkStatus();
    // Group by chatbot, keeping each chunk once; a chatbot drop applies to what came before it,
    // and a reload (which reads the chatbot's current state) covers the whole batch.
    std::map<std::string, std::vector<int64_t>> by_bot;
    std::map<std::string, std::set<int64_t>> queued;
    std::set<std::string> reload;
    for (const auto& c : *changes) {
      if (c.chunk_id == 0) {
        by_bot.erase(c.chatbot_id);
        queued.erase(c.chatbot_id);
        reload.erase(c.chatbot_id);
        known_.erase(c.chatbot_id);
        auto dropped = index_.DropChatbot(c.chatbot_id);
        if (!dropped.ok()) return dropped;
        continue;
      }
      if (c.chunk_id == kReloadChatbot) {
        by_bot.erase(c.chatbot_id);
        queued.erase(c.chatbot_id);
        reload.insert(c.chatbot_id);
        continue;
      }
      if (reload.count(c.chatbot_id)) continue;
      if (queued[c.chatbot_id].insert(c.chunk_id).second)
        by_bot[c.chatbot_id].push_back(c.chunk_id);
    }
    for (const auto& bot : reload) {
      auto reloaded = Reload(bot);
      if (reloaded.ok()) continue;
      if (reloaded.error().code == ErrorCode::kUnavailable) return reloaded;
      logger_.Error("index reload skipped",
                    {{"chatbot", bot}, {"error", reloaded.error().message}});
    }
    for (const auto& [bot, ids] : by_bot) {
      auto applied = Apply(ids, bot);
      if (applied.ok()) continue;
      // The database being unreachable is worth waiting for; anything else (a vector the index
      // refuses) would stall every chatbot behind this one for ever: log it and go on. The
      // database still holds the chunk; a rebuild (restart without snapshot) picks it up.
      if (applied.error().code == ErrorCode::kUnavailable) return applied;
      // The index may refuse a change that its current build of the chatbot cannot take (Qdrant:
      // the first vectors of a chatbot that was keyword only): rebuilding it whole may.
      if (auto reloaded = Reload(bot); reloaded.ok()) {
        logger_.Warn("index change refused; chatbot reloaded",
                     {{"chatbot", bot}, {"error", applied.error().message}});
        continue;
      } else if (reloaded.error().code == ErrorCode::kUnavailable) {
        return reloaded;
      }
      logger_.Error("index change skipped", {{"chatbot", bot},
                                             {"chunks", std::to_string(ids.size())},
                                             {"error", applied.error().message}});
    }
    // Advance over contiguous sequence numbers; wait a while at gaps.
    auto now = std::chrono::steady_clock::now();
    int64_t next = from;
    bool blocked = false;
    for (const auto& c : *changes) {
      while (!blocked && c.seq > next + 1) {
        auto [it, fresh] = gaps_.emplace(next + 1, now);
        if (now - it->second < kGapPatience) {
          blocked = true;
          break;
        }
        gaps_.erase(it);
        ++next;  // given up on: rolled back
      }
      if (blocked) break;
      next = c.seq;
      gaps_.erase(c.seq);
    }
    position_ = next;
    if (blocked || static_cast<int>(changes->size()) < kBatch) return OkStatus();
  }
}

void IndexFollower::ResumeFrom(int64_t position,
                               std::map<std::string, search::ChatbotIndexSettings> held) {
  std::lock_guard lock(apply_mu_);
  known_ = std::move(held);
  position_ = position;
  checkpointed_ = position;
  gaps_.clear();
}

void IndexFollower::SetCheckpoint(std::function<void(int64_t)> checkpoint,
                                  std::chrono::milliseconds every) {
  checkpoint_ = std::move(checkpoint);
  checkpoint_every_ = every;
}

void IndexFollower::MaybeCheckpoint(bool force) {
  if (!checkpoint_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_checkpoint_ < checkpoint_every_) return;
  std::lock_guard lock(apply_mu_);
  // Nothing worth keeping before the first load is done.
  if (load_pending_ || position_.load() == checkpointed_) return;
  checkpoint_(position_.load());
  checkpointed_ = position_.load();
  last_checkpoint_ = now;
}

void IndexFollower::Start() {
  last_checkpoint_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    // While the index (Qdrant) or the database is down, every poll fails: the first failure is
    // logged, then one line a minute, and the recovery.
    std::chrono::steady_clock::time_point failing_since, last_warned;
    int failures = 0;  // in a row
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      auto r = CatchUp();
      auto now = std::chrono::steady_clock::now();
      if (!r.ok()) {
        if (failures++ == 0) failing_since = now;
        if (failures == 1 || now - last_warned >= std::chrono::minutes(1)) {
          logger_.Warn("index catch-up failed",
                       {{"error", r.error().message}, {"failures", std::to_string(failures)}});
          last_warned = now;
        }
      } else if (failures > 0) {
        logger_.Info(
            "index catch-up recovered",
            {{"failures", std::to_string(failures)},
             {"seconds",
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(now - failing_since).count())}});
        failures = 0;
      }
      MaybeCheckpoint(false);
      lock.lock();
      wake_.wait_for(lock, poll_, [this] { return stopping_ || poked_; });
      poked_ = false;
    }
  });
}

void IndexFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    abandon_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    MaybeCheckpoint(true);
  }
}

void IndexFollower::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  wake_.notify_all();
}

}  // namespace studybot::ingest
