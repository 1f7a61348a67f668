// JobWorker: threads that claim jobs from the JobQueue and run the handler registered for their
// kind. While a job runs, a heartbeat thread renews its lease (with the latest progress) every
// third of the lease, so long jobs keep their claim and a dead process loses it. A handler learns
// that its job was cancelled or taken over (JobContext::lost) and stops.
//
// A handler returns Status: ok ends the job; kUnavailable, kRateLimited and kInternal are
// retried with backoff; any other error fails the job for good with its message (for admins).
//
// Start() once, Stop() (or the destructor) waits for running handlers. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"
#include "jobs/job_queue.h"

namespace studybot::jobs {

class JobContext {
 public:
  const Job& job() const { return job_; }
  // Progress shown to admins and saved at the next heartbeat.
  void SetProgress(boost::json::object progress);
  // True once the job was cancelled or claimed by another worker, or the worker is stopping:
  // stop and return (the outcome is then ignored).
  bool lost() const { return lost_.load() || stopping_.load(); }
  // Set when the job comes back past its attempts: only an expired lease hands one out, so its
  // workers stopped (crashed, were killed) on it every time. The handler should not try again
  // (a job that takes its process down would do so for ever) but record why it gives up: the
  // message names `what` ("the crawl", "ingestion"...) and the count.
  std::optional<std::string> GivenUp(std::string_view what) const;

 private:
  friend class JobWorker;
  JobContext(Job job, const std::atomic<bool>& stopping)
      : job_(std::move(job)), stopping_(stopping) {}

  Job job_;
  const std::atomic<bool>& stopping_;
  std::atomic<bool> lost_{false};
  std::mutex mu_;
  boost::json::object progress_;  // REQUIRES: mu_
};

using JobHandler = std::function<Status(JobContext&)>;

// Whether a handler's error is retried (with backoff, while attempts remain) or ends the job.
bool IsRetryable(ErrorCode code);

struct JobWorkerOptions {
  int threads = 2;
  std::chrono::milliseconds poll_interval{500};  // how often an idle worker looks for jobs
  std::chrono::seconds lease{60};                // must match the queue's
};

class JobWorker {
 public:
  JobWorker(JobQueue& queue, Logger& logger, JobWorkerOptions options)
      : queue_(queue), logger_(logger), options_(options) {}
  ~JobWorker() { Stop(); }

  // REQUIRES: before Start().
  void Register(const std::string& kind, JobHandler handler);
  void Start();
  void Stop();
  // Wakes the idle workers (a job was just enqueued).
  void Poke();
  // True once Stop() began: running handlers see JobContext::lost() from then on.
  bool stopping() const { return stopping_.load(); }

 private:
  void Loop();
  void HeartbeatLoop();
  void Run(Job job);

  JobQueue& queue_;
  Logger& logger_;
  const JobWorkerOptions options_;
  std::map<std::string, JobHandler> handlers_;
  std::vector<std::string> kinds_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<JobContext*> running_;  // REQUIRES: mu_
  std::vector<std::thread> threads_;
};

}  // namespace studybot::jobs
