// JobQueue: the persistent queue of background work (ingestion, re-indexing), kept in the
// database so that it survives restarts and is shared by every server process.
//
// A job is claimed by one worker under a random claim token and a lease; the worker renews the
// lease while it works (Heartbeat). A worker that dies (kill -9) simply stops renewing: once the
// lease runs out, another worker (or the restarted process) claims the job again, so handlers
// must be idempotent. Claims take the row with SELECT ... FOR UPDATE SKIP LOCKED on MySQL and in
// one writer transaction (BEGIN IMMEDIATE) on SQLite. Failed attempts are retried with
// exponential backoff up to max_attempts.
//
// Blocking (SQL): call from worker threads. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "core/time.h"
#include "storage/database.h"

namespace studybot::jobs {

struct JobSpec {
  std::string kind;        // "ingest_document", ...
  std::string chatbot_id;  // "" for none; a chatbot's jobs go with it
  boost::json::object payload;
  int max_attempts = 5;
  // When set, at most one queued (not yet running) job has this key: enqueueing again returns
  // the queued job instead of adding one.
  std::string dedup_key;
  // When set, no two jobs with this key run at the same time: a queued one waits while another
  // holds a live lease (a dead worker's expired lease does not hold it up).
  std::string serial_key;
};

struct Job {
  std::string id;
  std::string kind;
  std::string chatbot_id;
  boost::json::object payload;
  std::string status;  // queued | running | succeeded | failed | cancelled
  int attempts = 0;    // claims so far, this one included
  int max_attempts = 5;
  boost::json::object progress;
  std::string error;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::string claim;  // the claim token, while this process holds the job
};

struct JobQueueOptions {
  std::chrono::seconds lease{60};              // a claim lasts this long unless renewed
  std::chrono::milliseconds retry_base{2000};  // first retry delay; doubles per attempt
  std::chrono::milliseconds retry_cap{10 * 60 * 1000};
};

class JobQueue {
 public:
  JobQueue(storage::Database& db, const Clock& clock, JobQueueOptions options = {})
      : db_(db), clock_(clock), options_(options) {}

  // The new (or, with a dedup_key, the already queued) job's id.
  Result<std::string> Enqueue(const JobSpec& spec);
  // The same inside the caller's transaction (with the rows the job is about).
  Result<std::string> EnqueueIn(storage::Connection& conn, const JobSpec& spec);

  // Claims the oldest due job of one of `kinds`: queued and past its run_after, or running with
  // an expired lease. nullopt when there is none.
  Result<std::optional<Job>> Claim(const std::vector<std::string>& kinds);

  // Renews the lease and records progress; false when the job is no longer ours (its lease ran
  // out and someone else claimed it, or it was cancelled): stop working on it.
  Result<bool> Heartbeat(const Job& job, const boost::json::object& progress);
  // Ends the job. False when it was no longer ours.
  Result<bool> Succeed(const Job& job, const boost::json::object& progress);
  // A failed attempt: queued again after a backoff while attempts remain and `retryable`,
  // failed for good otherwise. False when it was no longer ours.
  Result<bool> Fail(const Job& job, const std::string& error, bool retryable);
  // Puts the job back at once without counting the attempt (the process is shutting down).
  Result<bool> Release(const Job& job);

  // Cancels a queued or running job (a running worker learns it at its next heartbeat).
  Status Cancel(const std::string& id);
  Result<std::optional<Job>> Find(const std::string& id);
  // Jobs of a chatbot, newest first.
  Result<std::vector<Job>> ListForChatbot(const std::string& chatbot_id, int limit);

 private:
  std::string Now() const;
  Result<std::optional<Job>> ClaimIn(storage::Connection& c, const std::vector<std::string>& kinds,
                                     const std::string& now);

  storage::Database& db_;
  const Clock& clock_;
  const JobQueueOptions options_;
};

}  // namespace studybot::jobs
