#include "scraping/service.h"

#include "core/ids.h"
#include "scraping/crawl_job.h"
#include "scraping/url_normalize.h"

namespace studybot::scraping {

boost::json::object SourceJson(const Source& s) {
  return {{"id", s.id},
          {"chatbot_id", s.chatbot_id},
          {"url", s.url},
          {"max_pages", s.max_pages},
          {"max_depth", s.max_depth},
          {"recrawl_hours",
           s.recrawl_hours > 0 ? boost::json::value(s.recrawl_hours) : boost::json::value(nullptr)},
          {"created_at", s.created_at},
          {"last_scraped_at", s.last_scraped_at.empty() ? boost::json::value(nullptr)
                                                        : boost::json::value(s.last_scraped_at)}};
}

void ScrapingService::Audit(const auth::Principal& who, const auth::ClientInfo& client,
                            const std::string& action, const std::string& target_type,
                            const std::string& id, boost::json::object summary) {
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {action, target_type, id, std::move(summary)});
}

Result<Source> ScrapingService::AddSource(const auth::Principal& who, const NewSource& in,
                                          const auth::ClientInfo& client) {
  auto bot = chatbots_.Find(who, in.chatbot_id);
  if (!bot.ok()) return bot.error();
  auto url = NormalizeUrl(in.url);
  if (!url) {
    return Error::InvalidArgument("url is not an http(s) URL we can crawl",
                                  {{"/url", "an absolute http or https URL without credentials"}});
  }
  if (url->size() > 2048) {  // percent-encoding may lengthen it past what is stored
    return Error::InvalidArgument("url is too long once normalised",
                                  {{"/url", "at most 2048 characters, percent-encoded"}});
  }
  Source s;
  s.id = NewUuid();
  s.chatbot_id = in.chatbot_id;
  s.url = *url;
  s.max_pages = in.max_pages.value_or(100);
  s.max_depth = in.max_depth.value_or(3);
  s.recrawl_hours = in.recrawl_hours.value_or(0);
  s.created_by = who.user_id;
  s.created_at = FormatRfc3339Millis(clock_.Now());
  auto st = repo_.InsertSource(s);
  if (!st.ok()) return st.error();
  Audit(who, client, "scraping.url_create", "scraping_url", s.id,
        {{"chatbot_id", s.chatbot_id}, {"url", s.url}});
  return s;
}

Result<std::vector<Source>> ScrapingService::ListSources(const auth::Principal& who,
                                                         const std::string& chatbot_id) {
  if (!chatbot_id.empty()) {
    auto bot = chatbots_.Find(who, chatbot_id);
    if (!bot.ok()) return bot.error();
    return repo_.ListSources(chatbot_id, std::nullopt);
  }
  return repo_.ListSources(
      "", who.IsSystemAdmin() ? std::nullopt : std::optional<std::string>(who.user_id));
}

Status ScrapingService::DeleteSource(const auth::Principal& who, const std::string& id,
                                     const auth::ClientInfo& client) {
  auto s = repo_.FindSource(id);
  if (!s.ok()) return s.error();
  if (!*s) return Error::NotFound("no such scraping URL");
  auto access = chatbots_.CheckAccess(who, (*s)->chatbot_id);
  if (!access.ok()) return access;
  auto st = repo_.DeleteSource(id);
  if (!st.ok()) return st;
  Audit(who, client, "scraping.url_delete", "scraping_url", id,
        {{"chatbot_id", (*s)->chatbot_id}, {"url", (*s)->url}});
  return OkStatus();
}

Result<Job> ScrapingService::Trigger(const auth::Principal& who, const std::string& chatbot_id,
                                     const std::string& source_id, const auth::ClientInfo& client) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  if (!source_id.empty()) {
    auto s = repo_.FindSource(source_id);
    if (!s.ok()) return s.error();
    if (!*s || (*s)->chatbot_id != chatbot_id) return Error::NotFound("no such scraping URL");
  } else {
    auto all = repo_.ListSources(chatbot_id, std::nullopt);
    if (!all.ok()) return all.error();
    if (all->empty()) {
      return Error::Unprocessable("the chatbot has no scraping URL: add one first")
          .WithSlug("no_scraping_urls");
    }
  }
  Job j;
  j.id = NewUuid();
  j.chatbot_id = chatbot_id;
  j.source_id = source_id;
  j.requested_by = who.user_id;
  j.created_at = FormatRfc3339Millis(clock_.Now());
  auto st = repo_.InsertJob(j, queue_, CrawlJobFor(j));
  if (!st.ok()) return st.error();
  Audit(who, client, "scraping.trigger", "scrape_job", j.id,
        {{"chatbot_id", chatbot_id},
         {"source_id",
          source_id.empty() ? boost::json::value(nullptr) : boost::json::value(source_id)}});
  if (wake_) wake_();
  return j;
}

Result<ScrapingStatus> ScrapingService::GetStatus(const auth::Principal& who,
                                                  const std::string& chatbot_id) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  ScrapingStatus out;
  out.chatbot_id = chatbot_id;
  auto pages = repo_.CountActivePages(chatbot_id);
  if (!pages.ok()) return pages.error();
  out.pages = *pages;
  auto sources = repo_.ListSources(chatbot_id, std::nullopt);
  if (!sources.ok()) return sources.error();
  out.sources = static_cast<int64_t>(sources->size());
  auto jobs = repo_.ListJobs(chatbot_id, 20);
  if (!jobs.ok()) return jobs.error();
  out.jobs = std::move(jobs).value();
  return out;
}

}  // namespace studybot::scraping
