-- 0007_knowledge (SQLite): the generic job queue, documents and their chunks, the embedding
-- cache, and the change log the search indexes follow. Kept in step with mysql/0007_knowledge.sql.

-- One persistent queue for background work (ingestion, re-indexing). Any server process may
-- claim a due job, or a running one whose lease ran out (its worker died), under a claim token of
-- its own; only the holder of the token may update it.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY NOT NULL,
  kind         TEXT NOT NULL,
  chatbot_id   TEXT REFERENCES chatbots (id) ON DELETE CASCADE,
  payload      TEXT NOT NULL,  -- JSON object
  status       TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 5,
  run_after    TEXT NOT NULL,  -- not claimed before (backoff)
  lease_until  TEXT,
  claimed_by   TEXT,
  progress     TEXT,           -- JSON object, written by the worker
  error        TEXT,
  dedup_key    TEXT,           -- at most one queued job per key
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT
);
CREATE INDEX jobs_due ON jobs (status, run_after);
CREATE INDEX jobs_dedup ON jobs (dedup_key, status);

-- What a chatbot knows: uploaded documents and crawled pages (source = 'crawl', one per
-- scraped_content row). `body` is the parsed structure (JSON blocks) the chunks are cut from.
CREATE TABLE documents (
  id           TEXT PRIMARY KEY NOT NULL,
  chatbot_id   TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  source       TEXT NOT NULL CHECK (source IN ('upload', 'crawl')),
  page_id      TEXT REFERENCES scraped_content (id) ON DELETE CASCADE,
  title        TEXT NOT NULL,
  url          TEXT,
  format       TEXT NOT NULL,
  tags         TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  body         TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  error        TEXT,
  chunk_count  INTEGER NOT NULL DEFAULT 0,
  version      INTEGER NOT NULL DEFAULT 1,  -- bumped by every replace; a job ingests one version
  created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX documents_chatbot ON documents (chatbot_id, created_at);
CREATE UNIQUE INDEX documents_page ON documents (page_id);

-- Chunks are numbered by the database (the search indexes' document numbers). An exact
-- duplicate of a chunk already stored for the chatbot is not stored again.
CREATE TABLE chunks (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  chatbot_id   TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  text         TEXT NOT NULL,
  heading_path TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  anchor       TEXT,
  page         INTEGER NOT NULL DEFAULT 0,
  token_count  INTEGER NOT NULL DEFAULT 0,
  content_hash TEXT NOT NULL,               -- SHA-256 hex of what is embedded
  created_at   TEXT NOT NULL
);
CREATE INDEX chunks_document ON chunks (document_id, position);
CREATE UNIQUE INDEX chunks_chatbot_hash ON chunks (chatbot_id, content_hash);

-- Embeddings by (embedder, content hash): unchanged text is never embedded twice.
CREATE TABLE embeddings (
  embedder     TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  vector       BLOB NOT NULL,  -- float32 little-endian
  created_at   TEXT NOT NULL,
  PRIMARY KEY (embedder, content_hash)
);

-- Every change to a chatbot's chunks, in commit order on SQLite (and near it on MySQL): the
-- built-in index of every server process follows it from the sequence its snapshot holds.
CREATE TABLE index_changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  chatbot_id TEXT NOT NULL,  -- no foreign key: a deleted chatbot's removal is itself a change
  chunk_id   INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX index_changes_chatbot ON index_changes (chatbot_id, seq);
