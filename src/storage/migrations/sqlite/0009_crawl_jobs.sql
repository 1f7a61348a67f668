-- 0009_crawl_jobs (SQLite): crawls run as jobs of the generic queue (kind 'crawl', payload
-- {"scrape_job_id": ...}), which holds their claim and lease; scrape_jobs keeps each crawl's
-- status, counts and outcome for the API. Kept in step with mysql/0009_crawl_jobs.sql.

-- Crawls queued or running under the old runner get their queue job (a running one starts again).
INSERT INTO jobs (id, kind, chatbot_id, payload, status, attempts, max_attempts, run_after,
                  created_at)
SELECT id, 'crawl', chatbot_id, '{"scrape_job_id":"' || id || '"}', 'queued', 0, 10, created_at,
       created_at
FROM scrape_jobs WHERE status IN ('queued', 'running');

ALTER TABLE scrape_jobs DROP COLUMN lease_until;
ALTER TABLE scrape_jobs DROP COLUMN claimed_by;
