#include "ingest/knowledge_watch.h"

#include "ingest/reindex.h"

namespace studybot::ingest {

void KnowledgeWatch::KnowledgeChanged(const chatbots::Chatbot& bot,
                                      const std::optional<chatbots::KnowledgeSettings>& before) {
  // A new key or new provider settings: the provider embedders built for the chatbot go.
  registry_.Forget(bot.id);
  bool language = before && before->language != bot.knowledge.language;
  // A new chatbot has no chunks: a learned embedder waits for them (ReindexJob::TrainingDue after
  // ingestion); another one becomes active at once through a (short) re-index.
  bool learned =
      bot.knowledge.embedder.provider == "builtin" && bot.knowledge.embedder.model == "learned";
  // A provider's embedder is also retried after any other change (a new key: a re-index that
  // failed on the old one runs again; it costs nothing when the embedder is already active).
  bool embedder = before ? !(before->embedder == bot.knowledge.embedder) || !learned : !learned;
  if (!language && !embedder) return;
  auto queued = queue_.Enqueue(ReindexJobFor(bot.id, language));
  if (!queued.ok()) {
    // The settings are stored; the next change, or the next ingestion (TrainingDue), tries again.
    logger_.Warn("re-index not queued", {{"chatbot", bot.id}, {"error", queued.error().message}});
    return;
  }
  if (on_queued_) on_queued_();
}

boost::json::object KnowledgeWatch::KnowledgeStatus(const chatbots::Chatbot& bot) {
  boost::json::object out;
  auto state = store_.State(bot.id);
  if (state.ok() && state->has_value()) {
    const auto& s = **state;
    out["embedder"] = s.active.empty() ? boost::json::value(nullptr) : boost::json::value(s.active);
    out["target_embedder"] =
        s.target.empty() ? boost::json::value(nullptr) : boost::json::value(s.target);
  }
  auto jobs = queue_.ListForChatbot(bot.id, 50);
  if (jobs.ok()) {
    for (const auto& j : *jobs) {
      if (j.kind != kReindexJob) continue;
      out["reindex"] = {
          {"job_id", j.id},
          {"status", j.status},
          {"progress", j.progress},
          {"error", j.error.empty() ? boost::json::value(nullptr) : boost::json::value(j.error)},
          {"created_at", j.created_at},
          {"finished_at", j.finished_at.empty() ? boost::json::value(nullptr)
                                                : boost::json::value(j.finished_at)}};
      break;
    }
  }
  if (!out.contains("reindex")) out["reindex"] = nullptr;
  return out;
}

}  // namespace studybot::ingest
