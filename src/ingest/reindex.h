// ReindexJob: moves a chatbot to the embedder its settings ask for, in the background, while
// search keeps answering from the old vectors (embedder_store.h explains the switch).
//
// For the built-in learned embedder it first trains a model on the chatbot's chunks (and again
// when they have changed enough: TrainingDue); for the others it builds the embedder from the
// settings. Then it embeds every chunk that lacks the target's vector (the embedding cache makes
// a re-run cheap), switches, and deletes the chatbot's learned models older than the previous
// one, with their vectors (the previous one serves other processes' queries until their index
// has followed the switch). Progress is the job's: {"state": training|embedding|switching,
// "embedded", "total"}. A chatbot with too few chunks to learn from is searched by keywords alone
// until it has them.
//
// Idempotent and safe to run twice at once (the later target wins; the earlier switch fails).
// A re-index that fails for good (a bad key, the last attempt) clears its target, so that
// ingestion goes on with the active embedder alone; the job's error says why.
#pragma once

#include <functional>

#include "chatbots/repository.h"
#include "ingest/document_repository.h"
#include "ingest/embedder_registry.h"
#include "ingest/embedder_store.h"
#include "jobs/job_worker.h"

namespace studybot::ingest {

inline constexpr const char* kReindexJob = "reindex_chatbot";

// `reload`: log a reload of the chatbot even when its embedder does not change (its language
// did).
jobs::JobSpec ReindexJobFor(const std::string& chatbot_id, bool reload);

class ReindexJob {
 public:
  ReindexJob(chatbots::ChatbotRepository& bots, DocumentRepository& docs, EmbedderStore& store,
             EmbedderRegistry& registry, std::function<void()> on_switched = {})
      : bots_(bots),
        docs_(docs),
        store_(store),
        registry_(registry),
        on_switched_(std::move(on_switched)) {}

  // The JobWorker handler of kReindexJob.
  Status Run(jobs::JobContext& ctx);

  // Whether a chatbot on the learned embedder should be (re)trained now: it has none yet and
  // enough chunks, or its chunks changed by a quarter (at least 16 changes) since training.
  Result<bool> TrainingDue(const chatbots::Chatbot& bot, const EmbedderState& state);

 private:
  Status RunFor(jobs::JobContext& ctx, const std::string& chatbot_id, bool must_reload,
                std::string& target_id);
  // The trained model (saved, remembered by the registry); nullptr when there are too few chunks.
  Result<std::shared_ptr<ai::Embedder>> Train(jobs::JobContext& ctx, const chatbots::Chatbot& bot);
  // Embeds what lacks `target`'s vectors.
  Status Sweep(jobs::JobContext& ctx, const std::string& chatbot_id, ai::Embedder& target,
               int64_t total);

  chatbots::ChatbotRepository& bots_;
  DocumentRepository& docs_;
  EmbedderStore& store_;
  EmbedderRegistry& registry_;
  std::function<void()> on_switched_;
};

// Embeds `chunks` with `embedder` (distinct texts once, in batches) into the embedding cache.
// Calls `progress` with the count done after each batch; stops with kUnavailable when `lost`.
Status EmbedIntoCache(DocumentRepository& docs, ai::Embedder& embedder,
                      const std::vector<ChunkToEmbed>& chunks, const std::function<bool()>& lost,
                      const std::function<void(std::size_t)>& progress);

}  // namespace studybot::ingest
