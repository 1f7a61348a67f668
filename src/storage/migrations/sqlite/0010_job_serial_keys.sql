-- 0010_job_serial_keys (SQLite): jobs with the same serial key never run at the same time (a
-- chatbot's re-indexes: two trainings of one chatbot at once would waste the work of one and
-- rebuild every index twice). Kept in step with mysql/0010_job_serial_keys.sql.
ALTER TABLE jobs ADD COLUMN serial_key TEXT;
CREATE INDEX jobs_serial ON jobs (serial_key, status);
