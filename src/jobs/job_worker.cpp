#include "jobs/job_worker.h"

#include <algorithm>

namespace studybot::jobs {

void JobContext::SetProgress(boost::json::object progress) {
  std::lock_guard lock(mu_);
  progress_ = std::move(progress);
}

bool IsRetryable(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kRateLimited ||
         code == ErrorCode::kInternal;
}

std::optional<std::string> JobContext::GivenUp(std::string_view what) const {
  if (job_.attempts <= job_.max_attempts) return std::nullopt;
  return std::string(what) + " was interrupted " + std::to_string(job_.attempts - 1) +
         " times (its worker stopped); given up";
}

void JobWorker::Register(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
  kinds_.push_back(kind);
}

void JobWorker::Start() {
  for (int i = 0; i < options_.threads; ++i)
    threads_.emplace_back([this] { Loop(); });
  threads_.emplace_back([this] { HeartbeatLoop(); });
}

void JobWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_.exchange(true)) return;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void JobWorker::Poke() {
  wake_.notify_all();
}

void JobWorker::Loop() {
  while (!stopping_) {
    Result<std::optional<Job>> claimed = std::optional<Job>();
    try {
      claimed = queue_.Claim(kinds_);
    } catch (const std::exception& e) {
      claimed = Error::Internal(e.what());
    }
    if (claimed.ok() && claimed->has_value()) {
      Run(std::move(**claimed));
      continue;
    }
    if (!claimed.ok()) {
      logger_.Warn("claiming a job failed", {{"error", claimed.error().message}});
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
  }
}

void JobWorker::Run(Job job) {
  JobContext ctx(std::move(job), stopping_);
  {
    std::lock_guard lock(mu_);
    running_.push_back(&ctx);
  }
  const Job& j = ctx.job();
  Status outcome = OkStatus();
  try {
    outcome = handlers_.at(j.kind)(ctx);
  } catch (const std::exception& e) {
    logger_.Error("job handler threw", {{"kind", j.kind}, {"job", j.id}, {"what", e.what()}});
    outcome = Error::Internal("the job failed unexpectedly");
  }
  {
    std::lock_guard lock(mu_);
    running_.erase(std::find(running_.begin(), running_.end(), &ctx));
  }
  boost::json::object progress;
  {
    std::lock_guard lock(ctx.mu_);
    progress = ctx.progress_;
  }
  if (ctx.lost_) return;  // someone else holds it now, or it was cancelled
  auto end = [&]() -> Result<bool> {
    if (stopping_ && !outcome.ok()) return queue_.Release(j);  // shutdown: not the job's fault
    if (outcome.ok()) return queue_.Succeed(j, progress);
    bool retryable = IsRetryable(outcome.error().code);
    logger_.Warn("job attempt failed", {{"kind", j.kind},
                                        {"job", j.id},
                                        {"attempt", std::to_string(j.attempts)},
                                        {"error", outcome.error().message}});
    return queue_.Fail(j, outcome.error().message, retryable);
  };
  Result<bool> ended = end();
  if (!ended.ok()) {
    logger_.Warn("recording a job's end failed", {{"job", j.id}, {"error", ended.error().message}});
  }
}

void JobWorker::HeartbeatLoop() {
  auto every =
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(50), options_.lease / 3);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, every, [this] { return stopping_.load(); });
    if (stopping_) break;
    // Run() unregisters a job under mu_, which is held here: every ctx stays alive while its
    // lease is renewed (a few milliseconds of SQL each).
    for (JobContext* ctx : running_) {
      boost::json::object progress;
      {
        std::lock_guard plock(ctx->mu_);
        progress = ctx->progress_;
      }
      auto ok = queue_.Heartbeat(ctx->job(), progress);
      if (ok.ok() && !*ok) ctx->lost_ = true;
    }
  }
}

}  // namespace studybot::jobs
