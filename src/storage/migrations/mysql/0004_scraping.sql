-- 0004_scraping (MySQL / MariaDB): the sites a chatbot learns from and the crawl jobs that fetch
-- them into scraped_content. Kept in step with sqlite/0004_scraping.sql.

CREATE TABLE IF NOT EXISTS scraping_sources (
  id              VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id      VARCHAR(36) NOT NULL,
  url             VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  max_pages       INT NOT NULL DEFAULT 100,
  max_depth       INT NOT NULL DEFAULT 3,
  recrawl_hours   INT NULL,  -- NULL: on demand only
  created_by      VARCHAR(36) NULL,
  created_at      VARCHAR(32) NOT NULL,
  last_scraped_at VARCHAR(32) NULL,
  UNIQUE KEY scraping_sources_chatbot_url (chatbot_id, url),
  CONSTRAINT scraping_sources_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT scraping_sources_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT scraping_sources_pages_check CHECK (max_pages BETWEEN 1 AND 10000),
  CONSTRAINT scraping_sources_depth_check CHECK (max_depth BETWEEN 0 AND 20),
  CONSTRAINT scraping_sources_recrawl_check CHECK (recrawl_hours BETWEEN 1 AND 8760)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS scrape_jobs (
  id              VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id      VARCHAR(36) NOT NULL,
  source_id       VARCHAR(36) NULL,
  status          VARCHAR(16) NOT NULL DEFAULT 'queued',
  trigger_kind    VARCHAR(16) NOT NULL DEFAULT 'manual',
  requested_by    VARCHAR(36) NULL,
  pages_fetched   INT NOT NULL DEFAULT 0,
  pages_changed   INT NOT NULL DEFAULT 0,
  pages_unchanged INT NOT NULL DEFAULT 0,
  pages_skipped   INT NOT NULL DEFAULT 0,
  pages_failed    INT NOT NULL DEFAULT 0,
  error           VARCHAR(1024) NULL,
  created_at      VARCHAR(32) NOT NULL,
  started_at      VARCHAR(32) NULL,
  finished_at     VARCHAR(32) NULL,
  lease_until     VARCHAR(32) NULL,
  claimed_by      VARCHAR(64) NULL,
  KEY scrape_jobs_status (status, created_at),
  KEY scrape_jobs_chatbot (chatbot_id, created_at),
  CONSTRAINT scrape_jobs_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT scrape_jobs_source_fk FOREIGN KEY (source_id) REFERENCES scraping_sources (id)
    ON DELETE CASCADE,
  CONSTRAINT scrape_jobs_requested_by_fk FOREIGN KEY (requested_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT scrape_jobs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  CONSTRAINT scrape_jobs_trigger_check CHECK (trigger_kind IN ('manual', 'scheduled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
