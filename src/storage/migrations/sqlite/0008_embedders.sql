-- 0008_embedders (SQLite): per-chatbot knowledge settings and embedders, and the learned
-- embedder models. Kept in step with mysql/0008_embedders.sql.

-- The chatbot's knowledge settings (chatbots/knowledge_settings.h), its language (en, fr, auto:
-- a column because the search indexes read it with every chunk), the embedder whose vectors
-- search uses now with the settings that made it, and the one being built by a re-index (NULL
-- when none).
ALTER TABLE chatbots ADD COLUMN knowledge_settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE chatbots ADD COLUMN language TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE chatbots ADD COLUMN embedder_id TEXT;
ALTER TABLE chatbots ADD COLUMN embedder_target TEXT;
ALTER TABLE chatbots ADD COLUMN active_embedder_settings TEXT NOT NULL DEFAULT '{}';

-- What is embedded for a chunk is its document's title, its heading path and its text (the
-- title gives a passage its context); content_hash, over the heading path and text, stays the
-- key of duplicate detection, embed_hash is the key of the embedding cache. Chunks stored before
-- keep their vectors (made without the title).
ALTER TABLE chunks ADD COLUMN embed_hash TEXT NOT NULL DEFAULT '';
UPDATE chunks SET embed_hash = content_hash;

-- Embedders learned from a chatbot's chunks (ai/lsa_model.h). The database holds them, so that
-- every server process embeds queries the same way; the model is cut into parts to stay under
-- the packet limits of MySQL.
CREATE TABLE embedder_models (
  id             TEXT PRIMARY KEY NOT NULL,  -- the embedder id ("lsa-v1/384/<fingerprint>")
  chatbot_id     TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  trained_chunks INTEGER NOT NULL,           -- chunks it learned from
  trained_seq    INTEGER NOT NULL,           -- the change log's position when it was trained
  bytes          INTEGER NOT NULL,
  parts          INTEGER NOT NULL,
  created_at     TEXT NOT NULL
);
CREATE INDEX embedder_models_chatbot ON embedder_models (chatbot_id, created_at);

CREATE TABLE embedder_model_parts (
  model_id TEXT NOT NULL REFERENCES embedder_models (id) ON DELETE CASCADE,
  part     INTEGER NOT NULL,
  data     BLOB NOT NULL,
  PRIMARY KEY (model_id, part)
);
