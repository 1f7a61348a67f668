// IndexFollower: keeps a ChunkIndex equal to what the database holds. At start it loads every
// chatbot's chunks (with the vectors of the chatbot's active embedder, in its language); then it
// follows the index_changes log: each change names a chunk whose row is read again (present:
// upserted; absent: removed), so applying a change twice, or out of order, converges on the same
// index. A reload (chunk -1: the chatbot's embedder or language changed) rebuilds the chatbot's
// index aside and swaps it in; a drop (chunk 0) forgets it.
//
// On MySQL, sequence numbers can become visible out of order (a transaction that took seq 10
// commits after one that took 11), so the follower keeps its position at the first gap and reads
// past it again (harmlessly) until the gap fills or is older than kGapPatience (a rolled-back
// insert leaves a gap for ever). Every server process runs one: all converge on the database.
//
// Thread-safe. Start() runs the loop on its own thread; CatchUp() applies what is new now.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "ingest/document_repository.h"
#include "search/chunk_index.h"

namespace studybot::ingest {

inline constexpr std::chrono::seconds kGapPatience{10};

class IndexFollower {
 public:
  IndexFollower(DocumentRepository& docs, search::ChunkIndex& index, Logger& logger,
                std::chrono::milliseconds poll = std::chrono::milliseconds(1000))
      : docs_(docs), index_(index), logger_(logger), poll_(poll) {}
  ~IndexFollower() { Stop(); }

  // Loads everything the database holds.
  Status LoadAll();
  // Makes the next CatchUp load everything first (retried by the loop until it succeeds): for an
  // index kept in another server, which may be down at start.
  void LoadAllLater();
  // Starts following from `position` (the index was restored from a snapshot of it, holding
  // these chatbots with these settings).
  void ResumeFrom(int64_t position, std::map<std::string, search::ChatbotIndexSettings> held);
  // Called by the loop, with the index quiescent (no change being applied), at most every
  // `every` and only when the position moved; also once from Stop(). For snapshots.
  void SetCheckpoint(std::function<void(int64_t position)> checkpoint,
                     std::chrono::milliseconds every);
  // Applies the changes logged since the last call.
  Status CatchUp();

  void Start();
  void Stop();
  // Wakes the loop (a local write just committed).
  void Poke();

  int64_t position() const { return position_.load(); }

 private:
  // REQUIRES: apply_mu_ for the four.
  Status LoadAllLocked();
  Status Apply(const std::vector<int64_t>& ids, const std::string& chatbot_id);
  Status Load(const std::string& chatbot_id, const search::ChatbotIndexSettings& settings);
  Status Reload(const std::string& chatbot_id);

  DocumentRepository& docs_;
  search::ChunkIndex& index_;
  Logger& logger_;
  const std::chrono::milliseconds poll_;

  std::mutex apply_mu_;  // one CatchUp at a time
  std::atomic<int64_t> position_{0};
  // seq -> when first seen missing. REQUIRES: apply_mu_
  std::map<int64_t, std::chrono::steady_clock::time_point> gaps_;
  // The settings (language, embedder) each loaded chatbot's index was built with.
  // REQUIRES: apply_mu_
  std::map<std::string, search::ChatbotIndexSettings> known_;
  bool load_pending_ = false;  // REQUIRES: apply_mu_

  std::function<void(int64_t)> checkpoint_;
  std::chrono::milliseconds checkpoint_every_{60'000};
  int64_t checkpointed_ = -1;  // REQUIRES: apply_mu_
  // Touched by the loop thread only (and by Stop() after joining it).
  std::chrono::steady_clock::time_point last_checkpoint_;

  void MaybeCheckpoint(bool force);

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // REQUIRES: mu_
  // Set with stopping_: a chatbot being (re)loaded gives up, so Stop() does not wait for a large
  // rebuild (the old index stays; the reload is redone from the log at the next start).
  std::atomic<bool> abandon_{false};
  bool poked_ = false;  // REQUIRES: mu_
  std::thread thread_;
};

// The index's view of a stored chunk.
search::IndexedChunk ToIndexed(const ChunkForIndex& c);

}  // namespace studybot::ingest
