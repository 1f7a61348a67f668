#include "jobs/job_queue.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/ids.h"
#include "core/strings.h"

namespace studybot::jobs {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "id, kind, chatbot_id, payload, status, attempts, max_attempts, progress, error, created_at, "
    "started_at, finished_at, claimed_by";

boost::json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

Job JobFrom(const storage::Row& r) {
  Job j;
  j.id = r.GetString(0);
  j.kind = r.GetString(1);
  j.chatbot_id = r.GetString(2);
  j.payload = ParseObject(r.GetString(3));
  j.status = r.GetString(4);
  j.attempts = static_cast<int>(r.GetInt(5));
  j.max_attempts = static_cast<int>(r.GetInt(6));
  j.progress = ParseObject(r.GetString(7));
  j.error = r.GetString(8);
  j.created_at = r.GetString(9);
  j.started_at = r.GetString(10);
  j.finished_at = r.GetString(11);
  return j;
}

// "?, ?, ?" for n placeholders.
std::string Placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

}  // namespace

std::string JobQueue::Now() const {
  return FormatRfc3339Millis(clock_.Now());
}

Result<std::string> JobQueue::Enqueue(const JobSpec& spec) {
  return db_.InTransaction<std::string>(
      [&](storage::Connection& c) -> Result<std::string> { return EnqueueIn(c, spec); });
}

Result<std::string> JobQueue::EnqueueIn(storage::Connection& c, const JobSpec& spec) {
  if (!spec.dedup_key.empty()) {
    auto queued = c.Query("SELECT id FROM jobs WHERE dedup_key = ? AND status = 'queued' LIMIT 1",
                          {Value(spec.dedup_key)});
    if (!queued.ok()) return queued.error();
    if (!queued->empty()) return queued->rows[0].GetString(0);
  }
  std::string id = NewUuid();
  std::string now = Now();
  auto r = c.Execute(
      "INSERT INTO jobs (id, kind, chatbot_id, payload, status, attempts, max_attempts, run_after, "
      "dedup_key, serial_key, created_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)",
      {Value(id), Value(spec.kind), storage::OrNull(spec.chatbot_id),
       Value(boost::json::serialize(spec.payload)),
       Value(static_cast<int64_t>(std::max(1, spec.max_attempts))), Value(now),
       storage::OrNull(spec.dedup_key), storage::OrNull(spec.serial_key), Value(now)});
  if (!r.ok()) return r.error();
  return id;
}

Result<std::optional<Job>> JobQueue::ClaimIn(storage::Connection& c,
                                             const std::vector<std::string>& kinds,
                                             const std::string& now) {
  std::vector<Value> params;
  for (const auto& k : kinds)
    params.emplace_back(k);
  params.emplace_back(now);
  params.emplace_back(now);
  params.emplace_back(now);
  // MySQL: rows another claimant has locked are skipped, not waited for; SQLite: the writer
  // transaction already excludes every other claimant. A queued job waits while one of its
  // serial key runs under a live lease.
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM jobs j WHERE kind IN (" +
      Placeholders(kinds.size()) +
      ") AND ((status = 'queued' AND run_after <= ? AND (serial_key IS NULL OR NOT EXISTS "
      "(SELECT 1 FROM jobs r WHERE r.serial_key = j.serial_key AND r.status = 'running' AND "
      "r.lease_until >= ?))) OR (status = 'running' AND lease_until < ?)) "
      "ORDER BY run_after, created_at LIMIT 1" +
      (c.dialect() == storage::Dialect::kMysql ? " FOR UPDATE SKIP LOCKED" : "");
  auto rows = c.Query(sql, params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Job>();
  Job job = JobFrom(rows->rows[0]);
  job.claim = NewUuid();
  job.status = "running";
  job.attempts += 1;
  if (job.started_at.empty()) job.started_at = now;
  auto lease = FormatRfc3339Millis(clock_.Now() + options_.lease);
  auto r = c.Execute(
      "UPDATE jobs SET status = 'running', attempts = ?, lease_until = ?, claimed_by = ?, "
      "started_at = ? WHERE id = ?",
      {Value(static_cast<int64_t>(job.attempts)), Value(lease), Value(job.claim),
       Value(job.started_at), Value(job.id)});
  if (!r.ok()) return r.error();
  return std::optional<Job>(std::move(job));
}

Result<std::optional<Job>> JobQueue::Claim(const std::vector<std::string>& kinds) {
  if (kinds.empty()) return std::optional<Job>();
  std::string now = Now();
  return db_.InTransaction<std::optional<Job>>(
      [&](storage::Connection& c) { return ClaimIn(c, kinds, now); });
}

Result<bool> JobQueue::Heartbeat(const Job& job, const boost::json::object& progress) {
  auto lease = FormatRfc3339Millis(clock_.Now() + options_.lease);
  auto r = db_.Execute(
      "UPDATE jobs SET lease_until = ?, progress = ? WHERE id = ? AND status = 'running' AND "
      "claimed_by = ?",
      {Value(lease), Value(boost::json::serialize(progress)), Value(job.id), Value(job.claim)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<bool> JobQueue::Succeed(const Job& job, const boost::json::object& progress) {
  auto r = db_.Execute(
      "UPDATE jobs SET status = 'succeeded', progress = ?, error = NULL, finished_at = ?, "
      "lease_until = NULL, claimed_by = NULL WHERE id = ? AND status = 'running' AND "
      "claimed_by = ?",
      {Value(boost::json::serialize(progress)), Value(Now()), Value(job.id), Value(job.claim)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<bool> JobQueue::Fail(const Job& job, const std::string& error, bool retryable) {
  std::string message = CleanUtf8(error, 1000);
  if (retryable && job.attempts < job.max_attempts) {
    auto delay = options_.retry_base * (1LL << std::min(job.attempts - 1, 20));
    delay = std::min<std::chrono::milliseconds>(delay, options_.retry_cap);
    auto r = db_.Execute(
        "UPDATE jobs SET status = 'queued', error = ?, run_after = ?, lease_until = NULL, "
        "claimed_by = NULL WHERE id = ? AND status = 'running' AND claimed_by = ?",
        {Value(message), Value(FormatRfc3339Millis(clock_.Now() + delay)), Value(job.id),
         Value(job.claim)});
    if (!r.ok()) return r.error();
    return r->affected_rows == 1;
  }
  auto r = db_.Execute(
      "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, lease_until = NULL, "
      "claimed_by = NULL WHERE id = ? AND status = 'running' AND claimed_by = ?",
      {Value(message), Value(Now()), Value(job.id), Value(job.claim)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Result<bool> JobQueue::Release(const Job& job) {
  auto r = db_.Execute(
      "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, "
      "claimed_by = NULL WHERE id = ? AND status = 'running' AND claimed_by = ?",
      {Value(job.id), Value(job.claim)});
  if (!r.ok()) return r.error();
  return r->affected_rows == 1;
}

Status JobQueue::Cancel(const std::string& id) {
  return db_.Write(
      "UPDATE jobs SET status = 'cancelled', finished_at = ?, lease_until = NULL, claimed_by = "
      "NULL WHERE id = ? AND status IN ('queued', 'running')",
      {Value(Now()), Value(id)});
}

Result<std::optional<Job>> JobQueue::Find(const std::string& id) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?", {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<Job>();
  return std::optional<Job>(JobFrom(rows->rows[0]));
}

Result<std::vector<Job>> JobQueue::ListForChatbot(const std::string& chatbot_id, int limit) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns +
                            " FROM jobs WHERE chatbot_id = ? ORDER BY created_at DESC LIMIT ?",
                        {Value(chatbot_id), Value(static_cast<int64_t>(limit))});
  if (!rows.ok()) return rows.error();
  std::vector<Job> out;
  for (const auto& r : rows->rows)
    out.push_back(JobFrom(r));
  return out;
}

}  // namespace studybot::jobs
