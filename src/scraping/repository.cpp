#include "scraping/repository.h"

#include "core/ids.h"
#include "core/strings.h"
#include "scraping/url_normalize.h"

namespace studybot::scraping {
namespace {

using storage::Value;

constexpr const char* kSourceColumns =
    "s.id, s.chatbot_id, s.url, s.max_pages, s.max_depth, s.created_by, s.created_at, "
    "s.last_scraped_at, s.recrawl_hours";
constexpr const char* kJobColumns =
    "id, chatbot_id, source_id, status, trigger_kind, requested_by, pages_fetched, pages_changed, "
    "pages_unchanged, pages_skipped, pages_failed, error, created_at, started_at, finished_at";

Source SourceFromRow(const storage::Row& r) {
  Source s;
  s.id = r.GetString(0);
  s.chatbot_id = r.GetString(1);
  s.url = r.GetString(2);
  s.max_pages = r.GetInt(3);
  s.max_depth = r.GetInt(4);
  s.created_by = r.GetString(5);
  s.created_at = r.GetString(6);
  s.last_scraped_at = r.GetString(7);
  s.recrawl_hours = r.GetInt(8);  // 0 for NULL
  return s;
}

Job JobFromRow(const storage::Row& r) {
  Job j;
  j.id = r.GetString(0);
  j.chatbot_id = r.GetString(1);
  j.source_id = r.GetString(2);
  j.status = r.GetString(3);
  j.trigger = r.GetString(4);
  j.requested_by = r.GetString(5);
  j.counts = {r.GetInt(6), r.GetInt(7), r.GetInt(8), r.GetInt(9), r.GetInt(10)};
  j.error = r.GetString(11);
  j.created_at = r.GetString(12);
  j.started_at = r.GetString(13);
  j.finished_at = r.GetString(14);
  return j;
}

}  // namespace

Status ScrapingRepository::InsertSource(const Source& s) {
  auto r = db_.Execute(
      "INSERT INTO scraping_sources (id, chatbot_id, url, max_pages, max_depth, recrawl_hours, "
      "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(s.id), Value(s.chatbot_id), Value(s.url), Value(s.max_pages), Value(s.max_depth),
       s.recrawl_hours > 0 ? Value(s.recrawl_hours) : Value(), storage::OrNull(s.created_by),
       Value(s.created_at)});
  if (!r.ok()) {
    if (r.error().code == ErrorCode::kConflict) {
      return Error::Conflict("this chatbot already has that URL").WithSlug("duplicate_url");
    }
    return r.error();
  }
  return OkStatus();
}

Result<std::optional<Source>> ScrapingRepository::FindSource(const std::string& id) {
  auto rows =
      db_.Query(std::string("SELECT ") + kSourceColumns + " FROM scraping_sources s WHERE s.id = ?",
                {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Source>();
  return std::optional<Source>(SourceFromRow(rows->rows[0]));
}

Result<std::vector<Source>> ScrapingRepository::ListSources(
    const std::string& chatbot_id, const std::optional<std::string>& member) {
  std::string sql = std::string("SELECT ") + kSourceColumns + " FROM scraping_sources s";
  std::vector<Value> params;
  if (member) {
    sql += " JOIN chatbot_members m ON m.chatbot_id = s.chatbot_id AND m.user_id = ?";
    params.emplace_back(*member);
  }
  if (!chatbot_id.empty()) {
    sql += " WHERE s.chatbot_id = ?";
    params.emplace_back(chatbot_id);
  }
  sql += " ORDER BY s.created_at, s.id LIMIT 1000";
  auto rows = db_.Query(sql, params);
  if (!rows.ok()) return rows.error();
  std::vector<Source> out;
  for (const auto& r : rows->rows)
    out.push_back(SourceFromRow(r));
  return out;
}

Status ScrapingRepository::DeleteSource(const std::string& id) {
  auto source = FindSource(id);
  if (!source.ok()) return source.error();
  auto r = db_.Execute("DELETE FROM scraping_sources WHERE id = ?", {Value(id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0 || !*source) return Error::NotFound("no such scraping URL");
  if (observer_ == nullptr) return OkStatus();
  // The site's pages stay crawled if another source of the chatbot starts on the same site.
  std::string origin = OriginOf((*source)->url);
  auto others = ListSources((*source)->chatbot_id, std::nullopt);
  if (!others.ok()) return others.error();
  for (const auto& other : *others) {
    if (OriginOf(other.url) == origin) return OkStatus();
  }
  auto pages = db_.Write(
      "UPDATE scraped_content SET is_active = 0 WHERE chatbot_id = ? AND url >= ? AND url < ?",
      {Value((*source)->chatbot_id), Value(origin + "/"), Value(origin + "0")});
  if (!pages.ok()) return pages;
  observer_->PagesGone((*source)->chatbot_id, origin + "/");
  return OkStatus();
}

void ScrapingRepository::Observe(const std::string& chatbot_id, const std::string& url) {
  if (observer_ == nullptr) return;
  auto rows = db_.Query(
      "SELECT id, title, content, content_hash FROM scraped_content WHERE chatbot_id = ? AND "
      "url = ? AND is_active = 1",
      {Value(chatbot_id), Value(url)});
  if (!rows.ok() || rows->empty()) return;
  const auto& r = rows->rows[0];
  observer_->PageCurrent(
      {r.GetString(0), chatbot_id, url, r.GetString(1), r.GetString(2), r.GetString(3)});
}

Status ScrapingRepository::MarkSourceScraped(const std::string& id, const std::string& at) {
  return db_.Write("UPDATE scraping_sources SET last_scraped_at = ? WHERE id = ?",
                   {Value(at), Value(id)});
}

Result<std::vector<Source>> ScrapingRepository::ScheduledSources(int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kSourceColumns +
                            " FROM scraping_sources s WHERE s.recrawl_hours IS NOT NULL ORDER BY "
                            "s.last_scraped_at, s.id LIMIT ?",
                        {Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<Source> out;
  for (const auto& r : rows->rows)
    out.push_back(SourceFromRow(r));
  return out;
}

Result<bool> ScrapingRepository::HasActiveJob(const std::string& chatbot_id) {
  auto rows = db_.Query(
      "SELECT id FROM scrape_jobs WHERE chatbot_id = ? AND status IN ('queued', 'running') LIMIT 1",
      {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

Status ScrapingRepository::InsertJob(const Job& j, jobs::JobQueue& queue,
                                     const jobs::JobSpec& crawl) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    // Serialises triggers of one chatbot (SQLite serialises writers anyway).
    if (c.dialect() == storage::Dialect::kMysql) {
      auto lock = c.Query("SELECT id FROM chatbots WHERE id = ? FOR UPDATE", {Value(j.chatbot_id)});
      if (!lock.ok()) return lock.error();
    }
    auto busy = c.Query(
        "SELECT id FROM scrape_jobs WHERE chatbot_id = ? AND status IN ('queued', 'running') "
        "LIMIT 1",
        {Value(j.chatbot_id)});
    if (!busy.ok()) return busy.error();
    if (!busy->empty()) {
      return Error::Conflict("a crawl of this chatbot is already queued or running (job " +
                             busy->rows[0].GetString(0) + ")")
          .WithSlug("scrape_in_progress");
    }
    auto ins = c.Execute(
        "INSERT INTO scrape_jobs (id, chatbot_id, source_id, status, trigger_kind, requested_by, "
        "created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
        {Value(j.id), Value(j.chatbot_id), storage::OrNull(j.source_id), Value(j.trigger),
         storage::OrNull(j.requested_by), Value(j.created_at)});
    if (!ins.ok()) return ins.error();
    auto queued = queue.EnqueueIn(c, crawl);
    if (!queued.ok()) return queued.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::optional<Job>> ScrapingRepository::FindJob(const std::string& id) {
  auto rows = db_.Query(std::string("SELECT ") + kJobColumns + " FROM scrape_jobs WHERE id = ?",
                        {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Job>();
  return std::optional<Job>(JobFromRow(rows->rows[0]));
}

Result<std::vector<Job>> ScrapingRepository::ListJobs(const std::string& chatbot_id, int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kJobColumns +
                            " FROM scrape_jobs WHERE chatbot_id = ? ORDER BY created_at DESC, "
                            "id DESC LIMIT ?",
                        {Value(chatbot_id), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<Job> out;
  for (const auto& r : rows->rows)
    out.push_back(JobFromRow(r));
  return out;
}

Result<bool> ScrapingRepository::StartJob(const std::string& id, const std::string& now) {
  auto r = db_.Execute(
      "UPDATE scrape_jobs SET status = 'running', started_at = COALESCE(started_at, ?), "
      "pages_fetched = 0, pages_changed = 0, pages_unchanged = 0, pages_skipped = 0, "
      "pages_failed = 0 WHERE id = ? AND status IN ('queued', 'running')",
      {Value(now), Value(id)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<bool> ScrapingRepository::SaveCounts(const std::string& id, const JobCounts& counts) {
  auto r = db_.Execute(
      "UPDATE scrape_jobs SET pages_fetched = ?, pages_changed = ?, pages_unchanged = ?, "
      "pages_skipped = ?, pages_failed = ? WHERE id = ? AND status = 'running'",
      {Value(counts.fetched), Value(counts.changed), Value(counts.unchanged), Value(counts.skipped),
       Value(counts.failed), Value(id)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<bool> ScrapingRepository::FinishJob(const Job& j) {
  auto r = db_.Execute(
      "UPDATE scrape_jobs SET status = ?, error = ?, finished_at = ?, pages_fetched = ?, "
      "pages_changed = ?, pages_unchanged = ?, pages_skipped = ?, pages_failed = ? WHERE id = ? "
      "AND status IN ('queued', 'running')",
      {Value(j.status), storage::OrNull(CleanUtf8(j.error, 1000)), Value(j.finished_at),
       Value(j.counts.fetched), Value(j.counts.changed), Value(j.counts.unchanged),
       Value(j.counts.skipped), Value(j.counts.failed), Value(j.id)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<std::optional<StoredPage>> ScrapingRepository::FindPage(const std::string& chatbot_id,
                                                               const std::string& url) {
  auto rows = db_.Query(
      "SELECT id, content_hash, etag, last_modified, is_active FROM scraped_content WHERE "
      "chatbot_id = ? AND url = ?",
      {Value(chatbot_id), Value(url)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<StoredPage>();
  const auto& r = rows->rows[0];
  return std::optional<StoredPage>(
      StoredPage{r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt(4) != 0});
}

Result<bool> ScrapingRepository::DuplicateExists(const std::string& chatbot_id,
                                                 const std::string& url,
                                                 const std::string& content_hash) {
  auto rows = db_.Query(
      "SELECT id FROM scraped_content WHERE chatbot_id = ? AND content_hash = ? AND url <> ? AND "
      "is_active = 1 LIMIT 1",
      {Value(chatbot_id), Value(content_hash), Value(url)});
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

Status ScrapingRepository::UpsertPage(const PageWrite& p) {
  auto existing = FindPage(p.chatbot_id, p.url);
  if (!existing.ok()) return existing.error();
  Result<storage::ExecResult> r =
      *existing
          ? db_.Execute(
                "UPDATE scraped_content SET title = ?, content = ?, content_hash = ?, etag = ?, "
                "last_modified = ?, last_scraped = ?, is_active = 1, updated_at = ? WHERE id = ?",
                {Value(p.title), Value(p.content), Value(p.content_hash), storage::OrNull(p.etag),
                 storage::OrNull(p.last_modified), Value(p.now), Value(p.now),
                 Value((*existing)->id)})
          : db_.Execute(
                "INSERT INTO scraped_content (id, chatbot_id, url, title, content, content_hash, "
                "etag, last_modified, last_scraped, is_active, created_at, updated_at) VALUES (?, "
                "?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                {Value(NewUuid()), Value(p.chatbot_id), Value(p.url), Value(p.title),
                 Value(p.content), Value(p.content_hash), storage::OrNull(p.etag),
                 storage::OrNull(p.last_modified), Value(p.now), Value(p.now), Value(p.now)});
  if (!r.ok()) return r.error();
  Observe(p.chatbot_id, p.url);
  return OkStatus();
}

Status ScrapingRepository::TouchPage(const std::string& id, const std::string& now) {
  auto st = db_.Write("UPDATE scraped_content SET last_scraped = ? WHERE id = ?",
                      {Value(now), Value(id)});
  if (!st.ok() || observer_ == nullptr) return st;
  auto rows = db_.Query("SELECT chatbot_id, url FROM scraped_content WHERE id = ?", {Value(id)});
  if (rows.ok() && !rows->empty()) Observe(rows->rows[0].GetString(0), rows->rows[0].GetString(1));
  return st;
}

Status ScrapingRepository::DeactivatePage(const std::string& chatbot_id, const std::string& url,
                                          const std::string& now) {
  auto st = db_.Write(
      "UPDATE scraped_content SET is_active = 0, last_scraped = ?, updated_at = ? WHERE "
      "chatbot_id = ? AND url = ?",
      {Value(now), Value(now), Value(chatbot_id), Value(url)});
  if (st.ok() && observer_ != nullptr) observer_->PageGone(chatbot_id, url);
  return st;
}

Result<int64_t> ScrapingRepository::CountActivePages(const std::string& chatbot_id) {
  auto rows =
      db_.Query("SELECT COUNT(*) FROM scraped_content WHERE chatbot_id = ? AND is_active = 1",
                {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  return rows->rows[0].GetInt(0);
}

Result<std::vector<std::string>> ScrapingRepository::ActivePageUrls(const std::string& chatbot_id,
                                                                    const std::string& prefix,
                                                                    int limit) {
  // A range on the text instead of LIKE: prefixes may hold '%' and '_' (percent-encoding).
  std::string upper = prefix;
  upper.back() = static_cast<char>(upper.back() + 1);
  auto rows = db_.Query(
      "SELECT url FROM scraped_content WHERE chatbot_id = ? AND is_active = 1 AND url >= ? AND "
      "url < ? ORDER BY url LIMIT ?",
      {Value(chatbot_id), Value(prefix), Value(upper), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : rows->rows)
    out.push_back(r.GetString(0));
  return out;
}

}  // namespace studybot::scraping
