// ScrapingService: the admin side of scraping (seed 7.5): a chatbot's URLs, crawl triggers and
// their status. Who may do what follows the chatbot (system admins, or bot admins of that
// chatbot). Every change and every trigger is audited. Blocking; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "chatbots/service.h"
#include "jobs/job_queue.h"
#include "scraping/repository.h"

namespace studybot::scraping {

struct NewSource {
  std::string chatbot_id;
  std::string url;
  std::optional<int64_t> max_pages;
  std::optional<int64_t> max_depth;
  std::optional<int64_t> recrawl_hours;  // re-crawled on this schedule; on demand only without
};

struct ScrapingStatus {
  std::string chatbot_id;
  int64_t pages = 0;      // active pages stored
  int64_t sources = 0;    // scraping URLs
  std::vector<Job> jobs;  // newest first
};

class ScrapingService {
 public:
  // Crawls are queued on `queue` (crawl_job.h); `wake` is called after one was queued (a worker
  // starts it at once).
  ScrapingService(ScrapingRepository& repo, jobs::JobQueue& queue,
                  chatbots::ChatbotService& chatbots, auth::AuditLog& audit, const Clock& clock,
                  std::function<void()> wake = {})
      : repo_(repo),
        queue_(queue),
        chatbots_(chatbots),
        audit_(audit),
        clock_(clock),
        wake_(std::move(wake)) {}

  Result<Source> AddSource(const auth::Principal& who, const NewSource& in,
                           const auth::ClientInfo& client);
  // `chatbot_id` may be "": every chatbot the caller may see.
  Result<std::vector<Source>> ListSources(const auth::Principal& who,
                                          const std::string& chatbot_id);
  Status DeleteSource(const auth::Principal& who, const std::string& id,
                      const auth::ClientInfo& client);
  // Queues a crawl of one source or (source_id "") of all the chatbot's sources. kConflict while
  // one is queued or running; kUnprocessable without any source.
  Result<Job> Trigger(const auth::Principal& who, const std::string& chatbot_id,
                      const std::string& source_id, const auth::ClientInfo& client);
  Result<ScrapingStatus> GetStatus(const auth::Principal& who, const std::string& chatbot_id);

 private:
  void Audit(const auth::Principal& who, const auth::ClientInfo& client, const std::string& action,
             const std::string& target_type, const std::string& id, boost::json::object summary);

  ScrapingRepository& repo_;
  jobs::JobQueue& queue_;
  chatbots::ChatbotService& chatbots_;
  auth::AuditLog& audit_;
  const Clock& clock_;
  std::function<void()> wake_;
};

boost::json::object SourceJson(const Source& source);

}  // namespace studybot::scraping
