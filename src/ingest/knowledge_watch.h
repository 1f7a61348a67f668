// KnowledgeWatch: the chatbot service's KnowledgeObserver. A new chatbot, or a change of its
// embedder settings, its language or its secrets (the provider key), queues a re-index
// (ReindexJob); the chatbot's JSON gets `knowledge_status`: its active and target embedders and
// the state and progress of its latest re-index. Thread-safe.
#pragma once

#include <functional>

#include "chatbots/service.h"
#include "core/log.h"
#include "ingest/embedder_registry.h"
#include "ingest/embedder_store.h"
#include "jobs/job_queue.h"

namespace studybot::ingest {

class KnowledgeWatch final : public chatbots::KnowledgeObserver {
 public:
  KnowledgeWatch(jobs::JobQueue& queue, EmbedderStore& store, EmbedderRegistry& registry,
                 Logger& logger, std::function<void()> on_queued = {})
      : queue_(queue),
        store_(store),
        registry_(registry),
        logger_(logger),
        on_queued_(std::move(on_queued)) {}

  void KnowledgeChanged(const chatbots::Chatbot& bot,
                        const std::optional<chatbots::KnowledgeSettings>& before) override;
  boost::json::object KnowledgeStatus(const chatbots::Chatbot& bot) override;

 private:
  jobs::JobQueue& queue_;
  EmbedderStore& store_;
  EmbedderRegistry& registry_;
  Logger& logger_;
  std::function<void()> on_queued_;
};

}  // namespace studybot::ingest
