-- 0009_crawl_jobs (MySQL/MariaDB): crawls run as jobs of the generic queue. Kept in step with
-- sqlite/0009_crawl_jobs.sql, which explains it.
INSERT INTO jobs (id, kind, chatbot_id, payload, status, attempts, max_attempts, run_after,
                  created_at)
SELECT id, 'crawl', chatbot_id, CONCAT('{"scrape_job_id":"', id, '"}'), 'queued', 0, 10,
       created_at, created_at
FROM scrape_jobs WHERE status IN ('queued', 'running');

ALTER TABLE scrape_jobs DROP COLUMN lease_until, DROP COLUMN claimed_by;
