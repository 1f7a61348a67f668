#include "scraping/crawl_job.h"

#include "core/ids.h"

namespace studybot::scraping {
namespace {

// Attempts of a crawl's queue job, the claims after dead workers included: with the queue's
// backoff, the database may fail for about a quarter of an hour before a crawl is given up.
constexpr int kCrawlAttempts = 10;

// Database and other internal messages are for the log, not for admins or webhooks.
constexpr const char* kInternalMessage = "internal error (see the server log)";

boost::json::object CountsJson(const JobCounts& c) {
  return {{"fetched", c.fetched},
          {"changed", c.changed},
          {"unchanged", c.unchanged},
          {"skipped", c.skipped},
          {"failed", c.failed}};
}

}  // namespace

boost::json::object JobJson(const Job& j) {
  auto opt = [](const std::string& s) {
    return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
  };
  return {{"id", j.id},
          {"chatbot_id", j.chatbot_id},
          {"source_id", opt(j.source_id)},
          {"status", j.status},
          {"trigger", j.trigger},
          {"pages", CountsJson(j.counts)},
          {"error", opt(j.error)},
          {"created_at", j.created_at},
          {"started_at", opt(j.started_at)},
          {"finished_at", opt(j.finished_at)}};
}

jobs::JobSpec CrawlJobFor(const Job& crawl) {
  jobs::JobSpec spec;
  spec.kind = kCrawlJob;
  spec.chatbot_id = crawl.chatbot_id;
  spec.payload = {{"scrape_job_id", crawl.id}};
  spec.max_attempts = kCrawlAttempts;
  return spec;
}

Status CrawlJob::Run(jobs::JobContext& ctx) {
  const auto* id = ctx.job().payload.if_contains("scrape_job_id");
  if (id == nullptr || !id->is_string()) {
    return Error::InvalidArgument("the crawl job names no scrape job");
  }
  Job job;
  Status st = OkStatus();
  try {
    st = Attempt(ctx, std::string(id->as_string()), job);
  } catch (const std::exception& e) {
    // Out of memory on a huge page...: retried like any internal error, and recorded when the
    // attempts are used up, so that the chatbot is not left with a crawl forever running.
    st = Error::Internal(std::string("the crawl threw: ") + e.what());
  }
  if (!st.ok()) {
    const auto& q = ctx.job();
    bool retried = jobs::IsRetryable(st.error().code) && q.attempts < q.max_attempts;
    // Interrupted (the outcome is ignored), retried, or never loaded: nothing to record.
    if (ctx.lost() || retried || job.id.empty()) return st;
    logger_.Error("crawl failed for good", {{"job_id", job.id}, {"error", st.error().message}});
    auto finished = Finish(job, kInternalMessage);
    if (!finished.ok()) {
      logger_.Warn("crawl outcome not saved",
                   {{"job_id", job.id}, {"error", finished.error().message}});
    }
    return st;
  }
  // The queue job ends as the crawl did (its error is the admins' one).
  if (job.status == "failed") return Error::Unprocessable(job.error);
  return OkStatus();
}

Status CrawlJob::Attempt(jobs::JobContext& ctx, const std::string& id, Job& job) {
  auto found = repo_.FindJob(id);
  if (!found.ok()) return found.error();
  if (!*found) {
    logger_.Info("crawl record gone (its source or chatbot was deleted)", {{"job_id", id}});
    return OkStatus();
  }
  job = std::move(**found);
  if (job.status == "succeeded" || job.status == "failed") return OkStatus();  // done before
  const auto& q = ctx.job();
  if (auto why = ctx.GivenUp("the crawl")) {
    logger_.Error("crawl given up", {{"job_id", id}, {"attempts", std::to_string(q.attempts)}});
    return Finish(job, *why);
  }
  std::string now = FormatRfc3339Millis(clock_.Now());
  auto started = repo_.StartJob(id, now);
  if (!started.ok()) return started.error();
  if (!*started) return OkStatus();  // finished or deleted meanwhile
  job.status = "running";
  if (job.started_at.empty()) job.started_at = now;
  job.counts = {};
  logger_.Info("scrape job started", {{"job_id", job.id},
                                      {"chatbot_id", job.chatbot_id},
                                      {"attempt", std::to_string(q.attempts)}});
  std::vector<Source> sources;
  if (!job.source_id.empty()) {
    auto s = repo_.FindSource(job.source_id);
    if (!s.ok()) return s.error();
    if (*s) sources.push_back(**s);
  } else {
    auto all = repo_.ListSources(job.chatbot_id, std::nullopt);
    if (!all.ok()) return all.error();
    sources = std::move(all).value();
  }
  std::string errors;
  bool gone = false;  // deleted with its source or chatbot, or finished by another attempt
  for (const auto& source : sources) {
    auto progress = [&](const JobCounts& counts) {
      if (ctx.lost()) return false;
      job.counts = counts;
      ctx.SetProgress({{"url", source.url}, {"pages", CountsJson(counts)}});
      auto saved = repo_.SaveCounts(id, counts);
      if (saved.ok() && !*saved) gone = true;
      return !gone;
    };
    JobCounts counts = job.counts;
    auto st = crawler_.Crawl(source, counts, progress);
    job.counts = counts;
    if (ctx.lost() || gone) break;
    if (!st.ok()) {
      std::string why = st.error().message;
      if (st.error().code == ErrorCode::kInternal) {
        logger_.Error("scrape job failed", {{"job_id", job.id}, {"error", why}});
        why = kInternalMessage;
      }
      if (!errors.empty()) errors += "; ";
      errors += source.url + ": " + why;
    }
    (void)repo_.MarkSourceScraped(source.id, FormatRfc3339Millis(clock_.Now()));
  }
  ctx.SetProgress({{"pages", CountsJson(job.counts)}});
  if (gone) return OkStatus();
  // Shutdown (the queue puts the job back) or a lost lease (its new holder crawls).
  if (ctx.lost()) return Error::Unavailable("the crawl was interrupted");
  if (sources.empty()) errors = "the chatbot has no scraping URL";
  return Finish(job, errors);
}

Status CrawlJob::Finish(Job& job, const std::string& errors) {
  job.status = errors.empty() ? "succeeded" : "failed";
  job.error = errors;
  job.finished_at = FormatRfc3339Millis(clock_.Now());
  auto saved = repo_.FinishJob(job);
  if (!saved.ok()) return saved.error();
  if (!*saved) return OkStatus();  // another attempt recorded it first (or it was deleted)
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
  return OkStatus();
}

int CrawlJob::EnqueueDue() {
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
    auto st = repo_.InsertJob(j, queue_, CrawlJobFor(j));  // kConflict: queued meanwhile
    if (st.ok()) ++queued;
  }
  return queued;
}

}  // namespace studybot::scraping
