#include "scraping/job_runner.h"

#include "core/ids.h"

namespace studybot::scraping {

boost::json::object JobJson(const Job& j) {
  auto opt = [](const std::string& s) {
    return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
  };
  return {{"id", j.id},
          {"chatbot_id", j.chatbot_id},
          {"source_id", opt(j.source_id)},
          {"status", j.status},
          {"trigger", j.trigger},
          {"pages",
           {{"fetched", j.counts.fetched},
            {"changed", j.counts.changed},
            {"unchanged", j.counts.unchanged},
            {"skipped", j.counts.skipped},
            {"failed", j.counts.failed}}},
          {"error", opt(j.error)},
          {"created_at", j.created_at},
          {"started_at", opt(j.started_at)},
          {"finished_at", opt(j.finished_at)}};
}

void ScrapeJobRunner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ScrapeJobRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ScrapeJobRunner::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool ScrapeJobRunner::Stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void ScrapeJobRunner::Loop() {
  for (;;) {
    bool ran = false;
    try {
      auto mono = clock_.Monotonic();
      if (mono - last_schedule_check_ >= options_.schedule_check) {
        last_schedule_check_ = mono;
        EnqueueDue();
      }
      ran = RunOnce();
    } catch (const std::exception& e) {
      // A job that throws (out of memory on a huge page...) must not take the server down; it is
      // claimed again after its lease.
      logger_.Error("scrape job aborted", {{"error", e.what()}});
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (!ran) cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) return;
  }
}

bool ScrapeJobRunner::RunOnce() {
  auto now = clock_.Now();
  auto job = repo_.ClaimJob(FormatRfc3339Millis(now), FormatRfc3339Millis(now + options_.lease));
  if (!job.ok()) {
    logger_.Warn("scrape jobs not claimed", {{"error", job.error().message}});
    return false;
  }
  if (!*job) return false;
  Run(**job);
  return true;
}

int ScrapeJobRunner::EnqueueDue() {
  auto sources = repo_.ScheduledSources(1000);
  if (!sources.ok()) {
    logger_.Warn("scheduled crawls not checked", {{"error", sources.error().message}});
    return 0;
  }
  auto now = clock_.Now();
  int queued = 0;
  for (const auto& s : *sources) {
    if (!s.last_scraped_at.empty()) {
      auto last = ParseRfc3339(s.last_scraped_at);
      if (last && *last + std::chrono::hours(s.recrawl_hours) > now) continue;
    }
    auto busy = repo_.HasActiveJob(s.chatbot_id);
    if (!busy.ok() || *busy) continue;
    Job j;
    j.id = NewUuid();
    j.chatbot_id = s.chatbot_id;
    j.source_id = s.id;
    j.trigger = "scheduled";
    j.created_at = FormatRfc3339Millis(now);
    auto st = repo_.InsertJob(j);  // kConflict: another runner queued one meanwhile
    if (st.ok()) ++queued;
  }
  return queued;
}

void ScrapeJobRunner::Run(Job& job) {
  logger_.Info("scrape job started", {{"job_id", job.id}, {"chatbot_id", job.chatbot_id}});
  std::vector<Source> sources;
  if (!job.source_id.empty()) {
    auto s = repo_.FindSource(job.source_id);
    if (s.ok() && *s) sources.push_back(**s);
  } else {
    auto all = repo_.ListSources(job.chatbot_id, std::nullopt);
    if (all.ok()) sources = std::move(all).value();
  }
  job.counts = {};
  std::string errors;
  bool lost = false;
  for (const auto& source : sources) {
    auto progress = [&](const JobCounts& counts) {
      if (Stopping()) return false;
      job.counts = counts;
      auto now = clock_.Now();
      auto ours = repo_.Heartbeat(job, FormatRfc3339Millis(now + options_.lease));
      if (ours.ok() && !*ours) lost = true;  // another worker took it over
      return !lost;
    };
    JobCounts counts = job.counts;
    auto st = crawler_.Crawl(source, counts, progress);
    job.counts = counts;
    if (Stopping() || lost) break;
    if (!st.ok()) {
      std::string why = st.error().message;
      if (st.error().code == ErrorCode::kInternal) {
        // Database and other internal messages are for the log, not for admins or webhooks.
        logger_.Error("scrape job failed", {{"job_id", job.id}, {"error", why}});
        why = "internal error (see the server log)";
      }
      if (!errors.empty()) errors += "; ";
      errors += source.url + ": " + why;
    }
    (void)repo_.MarkSourceScraped(source.id, FormatRfc3339Millis(clock_.Now()));
  }
  if (lost) return;
  if (Stopping()) {
    // Leave it running: it is claimed again after its lease, and the counts so far are kept.
    (void)repo_.Heartbeat(job, FormatRfc3339Millis(clock_.Now()));
    return;
  }
  if (sources.empty()) errors = "the chatbot has no scraping URL";
  job.status = errors.empty() ? "succeeded" : "failed";
  job.error = errors;
  job.finished_at = FormatRfc3339Millis(clock_.Now());
  auto saved = repo_.FinishJob(job);
  if (!saved.ok()) {
    logger_.Warn("scrape job outcome not saved", {{"error", saved.error().message}});
    return;
  }
  if (!*saved) return;  // another runner holds it now: its outcome counts
  logger_.Info("scrape job finished", {{"job_id", job.id},
                                       {"status", job.status},
                                       {"fetched", job.counts.fetched},
                                       {"changed", job.counts.changed},
                                       {"failed", job.counts.failed}});
  if (events_ != nullptr) {
    events_->Publish(job.chatbot_id,
                     job.status == "succeeded" ? "scraping.completed" : "scraping.failed",
                     JobJson(job));
  }
}

}  // namespace studybot::scraping
