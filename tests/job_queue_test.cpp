// The persistent job queue on SQLite and on MariaDB: claims are exclusive under concurrency,
// leases expire, failures back off, dedup keys coalesce, and only a claim's holder may end it.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/fake_clock.h"
#include "jobs/job_queue.h"
#include "storage_fixture.h"

namespace studybot::jobs {
namespace {

class JobQueueTest : public storage::StorageTest {
 protected:
  void SetUp() override {
    storage::StorageTest::SetUp();
    db_ = OpenMigrated(8);
    ASSERT_NE(db_, nullptr);
    JobQueueOptions o;
    o.lease = std::chrono::seconds(30);
    o.retry_base = std::chrono::milliseconds(1000);
    queue_ = std::make_unique<JobQueue>(*db_, clock_, o);
  }

  JobSpec Spec(const std::string& key = {}) {
    JobSpec s;
    s.kind = "test";
    s.payload = {{"n", 1}};
    s.max_attempts = 3;
    s.dedup_key = key;
    return s;
  }

  FakeClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_P(JobQueueTest, ConcurrentClaimsNeverShareAJob) {
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i)
    ids.insert(*queue_->Enqueue(Spec()));
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto job = queue_->Claim({"test"});
        ASSERT_TRUE(job.ok()) << job.error().message;
        if (!job->has_value()) return;
        std::lock_guard lock(mu);
        claimed.insert((*job)->id);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(claimed.size(), 40u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()), ids);
}

TEST_P(JobQueueTest, AnExpiredLeaseIsClaimedAgainAndTheOldHolderIsLockedOut) {
  ASSERT_TRUE(queue_->Enqueue(Spec()).ok());
  auto first = **queue_->Claim({"test"});
  EXPECT_EQ(first.attempts, 1);
  EXPECT_FALSE(queue_->Claim({"test"})->has_value());  // leased
  EXPECT_FALSE(queue_->Claim({"other"})->has_value());
  clock_.Advance(std::chrono::seconds(31));
  auto second = **queue_->Claim({"test"});
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.attempts, 2);
  // The dead worker's claim is void: its heartbeat and its success are refused.
  EXPECT_FALSE(*queue_->Heartbeat(first, {}));
  EXPECT_FALSE(*queue_->Succeed(first, {}));
  EXPECT_TRUE(*queue_->Heartbeat(second, {{"done", 5}}));
  EXPECT_TRUE(*queue_->Succeed(second, {{"done", 10}}));
  auto found = **queue_->Find(first.id);
  EXPECT_EQ(found.status, "succeeded");
  EXPECT_EQ(found.progress.at("done").as_int64(), 10);
}

TEST_P(JobQueueTest, FailuresBackOffThenFailForGood) {
  ASSERT_TRUE(queue_->Enqueue(Spec()).ok());
  auto a = **queue_->Claim({"test"});
  EXPECT_TRUE(*queue_->Fail(a, "provider down", true));
  EXPECT_FALSE(queue_->Claim({"test"})->has_value());  // waiting out the backoff (1 s)
  clock_.Advance(std::chrono::milliseconds(1100));
  auto b = **queue_->Claim({"test"});
  EXPECT_TRUE(*queue_->Fail(b, "provider down", true));
  clock_.Advance(std::chrono::milliseconds(1100));
  EXPECT_FALSE(queue_->Claim({"test"})->has_value());  // second backoff is 2 s
  clock_.Advance(std::chrono::milliseconds(1000));
  auto c = **queue_->Claim({"test"});
  EXPECT_EQ(c.attempts, 3);
  EXPECT_TRUE(*queue_->Fail(c, "provider down", true));  // the last attempt
  auto found = **queue_->Find(c.id);
  EXPECT_EQ(found.status, "failed");
  EXPECT_EQ(found.error, "provider down");
  // A permanent failure does not retry.
  ASSERT_TRUE(queue_->Enqueue(Spec()).ok());
  auto d = **queue_->Claim({"test"});
  EXPECT_TRUE(*queue_->Fail(d, "bad key", false));
  EXPECT_EQ((**queue_->Find(d.id)).status, "failed");
}

TEST_P(JobQueueTest, JobsOfOneSerialKeyNeverRunTogether) {
  JobSpec a = Spec();
  a.serial_key = "reindex:bot";
  JobSpec other = Spec();
  other.serial_key = "reindex:other";
  std::string first = *queue_->Enqueue(a);
  auto running = queue_->Claim({"test"});
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->id, first);
  std::string second = *queue_->Enqueue(a);
  std::string third = *queue_->Enqueue(other);
  // The second waits for the first; another key's job does not.
  auto next = queue_->Claim({"test"});
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, third);
  auto none = queue_->Claim({"test"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(*queue_->Succeed(**running, {}));
  auto after = queue_->Claim({"test"});
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->id, second);
}

TEST_P(JobQueueTest, ADeadHolderDoesNotHoldItsSerialKeyPastItsLease) {
  // The holder is of another kind (claimed by other workers), so that only the lease decides.
  JobSpec holder = Spec();
  holder.kind = "other";
  holder.serial_key = "reindex:bot";
  JobSpec waiting = Spec();
  waiting.serial_key = "reindex:bot";
  ASSERT_TRUE(queue_->Enqueue(holder).ok());
  auto held = queue_->Claim({"other"});
  ASSERT_TRUE(held.ok() && held->has_value());
  std::string queued = *queue_->Enqueue(waiting);
  auto blocked = queue_->Claim({"test"});
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(blocked->has_value());
  clock_.Advance(std::chrono::seconds(31));  // the holder died: its lease runs out
  auto next = queue_->Claim({"test"});
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, queued);
}

TEST_P(JobQueueTest, DedupKeysCoalesceQueuedJobsAndCancelStopsThem) {
  auto a = *queue_->Enqueue(Spec("doc:1"));
  EXPECT_EQ(*queue_->Enqueue(Spec("doc:1")), a);
  EXPECT_NE(*queue_->Enqueue(Spec("doc:2")), a);
  auto running = **queue_->Claim({"test"});
  // Once running, a new request queues a new job.
  auto again = *queue_->Enqueue(Spec(running.id == a ? "doc:1" : "doc:2"));
  EXPECT_NE(again, running.id);
  ASSERT_TRUE(queue_->Cancel(running.id).ok());
  EXPECT_FALSE(*queue_->Heartbeat(running, {}));
  EXPECT_EQ((**queue_->Find(running.id)).status, "cancelled");
  // Released jobs come back at once without using an attempt.
  auto next = **queue_->Claim({"test"});
  EXPECT_TRUE(*queue_->Release(next));
  auto back = **queue_->Claim({"test"});
  EXPECT_EQ(back.attempts, next.attempts);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobQueueTest,
                         ::testing::Values(storage::Backend::kSqlite, storage::Backend::kMariadb),
                         storage::BackendParamName);

}  // namespace
}  // namespace studybot::jobs
