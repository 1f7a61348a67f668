#include "ingest/reindex.h"

#include <unordered_set>

#include "ai/learned_embedder.h"
#include "ingest/pipeline.h"

namespace studybot::ingest {
namespace {

// Texts per embedder call: amortises a provider request, and keeps progress and leases fresh.
constexpr std::size_t kEmbedBatch = 64;
// Chunks read per query while sweeping or training.
constexpr int kPage = 1000;
// Sweeps before giving up on a switch that keeps finding new chunks (the job is retried).
constexpr int kMaxRounds = 5;

bool IsLearned(const chatbots::EmbedderSettings& s) {
  return s.provider == "builtin" && s.model == "learned";
}

search::Language LanguageOf(const chatbots::Chatbot& bot) {
  auto l = search::ParseLanguage(bot.knowledge.language);
  return l.ok() ? *l : search::Language::kAuto;
}

}  // namespace

jobs::JobSpec ReindexJobFor(const std::string& chatbot_id, bool reload) {
  jobs::JobSpec spec;
  spec.kind = kReindexJob;
  spec.chatbot_id = chatbot_id;
  spec.payload = {{"chatbot_id", chatbot_id}, {"reload", reload}};
  spec.dedup_key = std::string("reindex:") + chatbot_id + (reload ? ":reload" : "");
  // One re-index of a chatbot at a time, reload or not: two trainings at once would each switch
  // the chatbot and rebuild every index.
  spec.serial_key = std::string("reindex:") + chatbot_id;
  return spec;
}

Status EmbedIntoCache(DocumentRepository& docs, ai::Embedder& embedder,
                      const std::vector<ChunkToEmbed>& chunks, const std::function<bool()>& lost,
                      const std::function<void(std::size_t)>& progress) {
  std::vector<std::string> hashes;
  std::vector<const std::string*> texts;
  std::unordered_set<std::string_view> seen;
  for (const auto& c : chunks) {
    if (seen.insert(c.content_hash).second) {
      hashes.push_back(c.content_hash);
      texts.push_back(&c.text);
    }
  }
  auto cached = docs.CachedVectors(embedder.id(), hashes);
  if (!cached.ok()) return cached.error();
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if ((*cached)[i].empty()) missing.push_back(i);
  }
  for (std::size_t start = 0; start < missing.size(); start += kEmbedBatch) {
    if (lost && lost()) return Error::Unavailable("the job was interrupted");
    std::vector<std::string> batch;
    std::size_t end = std::min(missing.size(), start + kEmbedBatch);
    for (std::size_t j = start; j < end; ++j)
      batch.push_back(*texts[missing[j]]);
    auto vectors = embedder.Embed(batch);
    if (!vectors.ok()) return vectors.error();
    for (std::size_t j = start; j < end; ++j) {
      auto stored =
          docs.CacheVector(embedder.id(), hashes[missing[j]], PackVector((*vectors)[j - start]));
      if (!stored.ok()) return stored;
    }
    if (progress) progress(end);
  }
  return OkStatus();
}

Result<bool> ReindexJob::TrainingDue(const chatbots::Chatbot& bot, const EmbedderState& state) {
  if (!IsLearned(bot.knowledge.embedder) || !state.target.empty()) return false;
  if (state.active.empty() || !ai::IsLearnedEmbedderId(state.active)) {
    auto count = store_.ChunkCount(bot.id);
    if (!count.ok()) return count.error();
    return *count >= static_cast<int64_t>(ai::kMinLearnedChunks);
  }
  auto info = store_.FindModel(state.active);
  if (!info.ok()) return info.error();
  if (!info->has_value()) return true;
  auto changes = store_.ChangesSince(bot.id, (*info)->trained_seq);
  if (!changes.ok()) return changes.error();
  return *changes >= std::max<int64_t>(16, (*info)->trained_chunks / 4);
}

Result<std::shared_ptr<ai::Embedder>> ReindexJob::Train(jobs::JobContext& ctx,
                                                        const chatbots::Chatbot& bot) {
  // The log position first: changes logged after it (while reading) count towards the next
  // training, so none is missed.
  auto seq = docs_.LastChangeSeq();
  if (!seq.ok()) return seq.error();
  std::vector<std::string> texts;
  for (int64_t after = 0;;) {
    auto page = store_.ChunkTexts(bot.id, after, kPage);
    if (!page.ok()) return page.error();
    if (page->empty()) break;
    for (auto& c : *page)
      texts.push_back(std::move(c.text));
    after = page->back().id;
    if (ctx.lost()) return Error::Unavailable("the re-index job was interrupted");
  }
  if (texts.size() < ai::kMinLearnedChunks) return std::shared_ptr<ai::Embedder>();
  ctx.SetProgress({{"state", "training"}, {"chunks", texts.size()}});
  auto model = ai::TrainLearnedEmbedder(texts, bot.knowledge.embedder.dimensions, LanguageOf(bot),
                                        [&ctx] { return ctx.lost(); });
  if (!model.ok()) return model.error();
  auto id = model->embedder->id();
  auto known = store_.FindModel(id);
  if (!known.ok()) return known.error();
  if (!known->has_value()) {  // the same chunks train the same model: keep the stored one
    auto saved =
        store_.SaveModel({id, bot.id, static_cast<int64_t>(texts.size()), *seq, ""}, model->bytes);
    if (!saved.ok() && saved.error().code != ErrorCode::kConflict) return saved.error();
  }
  registry_.Remember(model->embedder);
  return model->embedder;
}

Status ReindexJob::Sweep(jobs::JobContext& ctx, const std::string& chatbot_id, ai::Embedder& target,
                         int64_t total) {
  std::size_t done = 0;
  for (int64_t after = 0;;) {
    auto page = store_.ChunksLacking(chatbot_id, target.id(), after, kPage);
    if (!page.ok()) return page.error();
    if (page->empty()) return OkStatus();
    auto st = EmbedIntoCache(
        docs_, target, *page, [&ctx] { return ctx.lost(); },
        [&](std::size_t n) {
          ctx.SetProgress({{"state", "embedding"},
                           {"embedder", target.id()},
                           {"embedded", done + n},
                           {"total", total}});
        });
    if (!st.ok()) return st;
    done += page->size();
    after = page->back().id;
  }
}

Status ReindexJob::Run(jobs::JobContext& ctx) {
  const auto* id = ctx.job().payload.if_contains("chatbot_id");
  if (id == nullptr || !id->is_string()) return Error::InvalidArgument("malformed re-index job");
  const auto* reload = ctx.job().payload.if_contains("reload");
  bool must_reload = reload != nullptr && reload->is_bool() && reload->as_bool();
  std::string chatbot_id(id->as_string());
  if (auto why = ctx.GivenUp("the re-index")) {
    // The chatbot stays on its active embedder.
    auto state = store_.State(chatbot_id);
    if (state.ok() && state->has_value() && !(*state)->target.empty()) {
      (void)store_.ClearTarget(chatbot_id, (*state)->target);
    }
    return Error::Unprocessable(*why);
  }
  std::string target_id;
  auto done = RunFor(ctx, chatbot_id, must_reload, target_id);
  if (!done.ok() && !target_id.empty()) {
    auto code = done.error().code;
    bool retried = code == ErrorCode::kUnavailable || code == ErrorCode::kRateLimited ||
                   code == ErrorCode::kInternal || code == ErrorCode::kConflict;
    if (!retried || ctx.job().attempts >= ctx.job().max_attempts) {
      (void)store_.ClearTarget(chatbot_id, target_id);
    }
  }
  return done;
}

Status ReindexJob::RunFor(jobs::JobContext& ctx, const std::string& chatbot_id, bool must_reload,
                          std::string& target_id) {
  auto found = bots_.FindById(chatbot_id);
  if (!found.ok()) return found.error();
  if (!found->has_value()) return OkStatus();  // deleted since
  const chatbots::Chatbot& bot = **found;
  auto state = store_.State(bot.id);
  if (!state.ok()) return state.error();
  if (!state->has_value()) return OkStatus();

  const auto& wanted = bot.knowledge.embedder;
  std::shared_ptr<ai::Embedder> target;
  if (IsLearned(wanted)) {
    auto trained = Train(ctx, bot);
    if (!trained.ok()) return trained.error();
    target = *trained;
  } else {
    auto built = registry_.Build(bot.id, wanted);
    if (!built.ok()) return built.error();
    target = *built;
  }
  if (target && target->id() == (*state)->active) {
    if (must_reload) {
      auto logged = store_.LogReload(bot.id);
      if (!logged.ok()) return logged;
      if (on_switched_) on_switched_();
    }
    ctx.SetProgress({{"state", "done"}, {"embedder", (*state)->active}});
    return OkStatus();
  }
  if (!target && (*state)->active.empty()) {  // too little content, and nothing to switch from
    ctx.SetProgress({{"state", "waiting_for_content"}, {"embedder", nullptr}});
    return OkStatus();
  }
  auto total = store_.ChunkCount(bot.id);
  if (!total.ok()) return total.error();
  if (target) {
    auto set = store_.SetTarget(bot.id, target->id());
    if (!set.ok()) return set;
    target_id = target->id();
  }
  for (int round = 0;; ++round) {
    if (target) {
      auto swept = Sweep(ctx, bot.id, *target, *total);
      if (!swept.ok()) return swept;
    }
    ctx.SetProgress({{"state", "switching"}, {"embedder", target_id}, {"total", *total}});
    auto switched = target ? store_.Switch(bot.id, target_id, wanted) : store_.ClearActive(bot.id);
    if (switched.ok()) {
      if (!*switched) return OkStatus();  // another job's target replaced ours: it finishes
      break;
    }
    if (switched.error().code != ErrorCode::kConflict || round + 1 == kMaxRounds) {
      return switched.error();
    }
  }
  if (on_switched_) on_switched_();
  ctx.SetProgress({{"state", "done"}, {"embedder", target_id}, {"total", *total}});
  // The previous model stays until the next switch: other processes embed queries with it
  // until their index has followed this one.
  return store_.DeleteModelsExcept(bot.id, {target_id, (*state)->active});
}

}  // namespace studybot::ingest
