-- 0007_knowledge (MySQL / MariaDB): the generic job queue, documents and their chunks, the
-- embedding cache, and the change log the search indexes follow. Kept in step with
-- sqlite/0007_knowledge.sql.

CREATE TABLE IF NOT EXISTS jobs (
  id           VARCHAR(36) NOT NULL PRIMARY KEY,
  kind         VARCHAR(32) NOT NULL,
  chatbot_id   VARCHAR(36) NULL,
  payload      MEDIUMTEXT NOT NULL,
  status       VARCHAR(16) NOT NULL DEFAULT 'queued',
  attempts     INT NOT NULL DEFAULT 0,
  max_attempts INT NOT NULL DEFAULT 5,
  run_after    VARCHAR(32) NOT NULL,
  lease_until  VARCHAR(32) NULL,
  claimed_by   VARCHAR(36) NULL,
  progress     TEXT NULL,
  error        TEXT NULL,
  dedup_key    VARCHAR(191) NULL,
  created_at   VARCHAR(32) NOT NULL,
  started_at   VARCHAR(32) NULL,
  finished_at  VARCHAR(32) NULL,
  KEY jobs_due (status, run_after),
  KEY jobs_dedup (dedup_key, status),
  CONSTRAINT jobs_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id) ON DELETE CASCADE,
  CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS documents (
  id           VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id   VARCHAR(36) NOT NULL,
  source       VARCHAR(16) NOT NULL,
  page_id      VARCHAR(36) NULL,
  title        VARCHAR(1024) NOT NULL,
  url          VARCHAR(2048) NULL,
  format       VARCHAR(16) NOT NULL,
  tags         TEXT NOT NULL,
  body         LONGTEXT NOT NULL,
  content_hash CHAR(64) NOT NULL,
  status       VARCHAR(16) NOT NULL DEFAULT 'queued',
  error        TEXT NULL,
  chunk_count  INT NOT NULL DEFAULT 0,
  version      INT NOT NULL DEFAULT 1,
  created_by   VARCHAR(36) NULL,
  created_at   VARCHAR(32) NOT NULL,
  updated_at   VARCHAR(32) NOT NULL,
  KEY documents_chatbot (chatbot_id, created_at),
  UNIQUE KEY documents_page (page_id),
  CONSTRAINT documents_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT documents_page_fk FOREIGN KEY (page_id) REFERENCES scraped_content (id)
    ON DELETE CASCADE,
  CONSTRAINT documents_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT documents_source_check CHECK (source IN ('upload', 'crawl')),
  CONSTRAINT documents_status_check CHECK (status IN ('queued', 'processing', 'ready', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chunks (
  id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chatbot_id   VARCHAR(36) NOT NULL,
  document_id  VARCHAR(36) NOT NULL,
  position     INT NOT NULL,
  text         MEDIUMTEXT NOT NULL,
  heading_path TEXT NOT NULL,
  anchor       VARCHAR(256) NULL,
  page         INT NOT NULL DEFAULT 0,
  token_count  INT NOT NULL DEFAULT 0,
  content_hash CHAR(64) NOT NULL,
  created_at   VARCHAR(32) NOT NULL,
  KEY chunks_document (document_id, position),
  UNIQUE KEY chunks_chatbot_hash (chatbot_id, content_hash),
  CONSTRAINT chunks_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT chunks_document_fk FOREIGN KEY (document_id) REFERENCES documents (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS embeddings (
  embedder     VARCHAR(191) NOT NULL,
  content_hash CHAR(64) NOT NULL,
  vector       MEDIUMBLOB NOT NULL,
  created_at   VARCHAR(32) NOT NULL,
  PRIMARY KEY (embedder, content_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS index_changes (
  seq        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chatbot_id VARCHAR(36) NOT NULL,
  chunk_id   BIGINT NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  KEY index_changes_chatbot (chatbot_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
