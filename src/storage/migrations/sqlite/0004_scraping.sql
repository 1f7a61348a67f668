-- 0004_scraping (SQLite): the sites a chatbot learns from and the crawl jobs that fetch them into
-- scraped_content. Kept in step with mysql/0004_scraping.sql.

CREATE TABLE scraping_sources (
  id              TEXT PRIMARY KEY NOT NULL,
  chatbot_id      TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  url             TEXT NOT NULL,  -- normalised start URL; the crawl stays on its site
  max_pages       INTEGER NOT NULL DEFAULT 100 CHECK (max_pages BETWEEN 1 AND 10000),
  max_depth       INTEGER NOT NULL DEFAULT 3 CHECK (max_depth BETWEEN 0 AND 20),
  recrawl_hours   INTEGER CHECK (recrawl_hours BETWEEN 1 AND 8760),  -- NULL: on demand only
  created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at      TEXT NOT NULL,
  last_scraped_at TEXT,
  UNIQUE (chatbot_id, url)
);

-- A queue in the database: any server process may claim a queued job (or one whose lease ran
-- out: its worker died) by moving its lease ahead under a claim token of its own.
CREATE TABLE scrape_jobs (
  id              TEXT PRIMARY KEY NOT NULL,
  chatbot_id      TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  -- NULL: every source. A job of one source goes with it (a running one stops).
  source_id       TEXT REFERENCES scraping_sources (id) ON DELETE CASCADE,
  status          TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  trigger_kind    TEXT NOT NULL DEFAULT 'manual' CHECK (trigger_kind IN ('manual', 'scheduled')),
  requested_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
  pages_fetched   INTEGER NOT NULL DEFAULT 0,
  pages_changed   INTEGER NOT NULL DEFAULT 0,
  pages_unchanged INTEGER NOT NULL DEFAULT 0,
  pages_skipped   INTEGER NOT NULL DEFAULT 0,
  pages_failed    INTEGER NOT NULL DEFAULT 0,
  error           TEXT,
  created_at      TEXT NOT NULL,
  started_at      TEXT,
  finished_at     TEXT,
  lease_until     TEXT,
  claimed_by      TEXT  -- random token of the claim: only its holder may update the job
);
CREATE INDEX scrape_jobs_status ON scrape_jobs (status, created_at);
CREATE INDEX scrape_jobs_chatbot ON scrape_jobs (chatbot_id, created_at);
