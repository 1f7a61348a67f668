-- 0008_embedders (MySQL/MariaDB): per-chatbot knowledge settings and embedders, and the learned
-- embedder models. Kept in step with sqlite/0008_embedders.sql, which explains the columns.
ALTER TABLE chatbots ADD COLUMN knowledge_settings VARCHAR(4000) NOT NULL DEFAULT '{}';
ALTER TABLE chatbots ADD COLUMN language VARCHAR(8) NOT NULL DEFAULT 'auto';
ALTER TABLE chatbots ADD COLUMN embedder_id VARCHAR(191) NULL;
ALTER TABLE chatbots ADD COLUMN embedder_target VARCHAR(191) NULL;
ALTER TABLE chatbots ADD COLUMN active_embedder_settings VARCHAR(2000) NOT NULL DEFAULT '{}';

ALTER TABLE chunks ADD COLUMN embed_hash CHAR(64) NOT NULL DEFAULT '';
UPDATE chunks SET embed_hash = content_hash;

CREATE TABLE IF NOT EXISTS embedder_models (
  id             VARCHAR(191) NOT NULL PRIMARY KEY,
  chatbot_id     VARCHAR(36) NOT NULL,
  trained_chunks INT NOT NULL,
  trained_seq    BIGINT NOT NULL,
  bytes          BIGINT NOT NULL,
  parts          INT NOT NULL,
  created_at     VARCHAR(32) NOT NULL,
  KEY embedder_models_chatbot (chatbot_id, created_at),
  CONSTRAINT embedder_models_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS embedder_model_parts (
  model_id VARCHAR(191) NOT NULL,
  part     INT NOT NULL,
  data     MEDIUMBLOB NOT NULL,
  PRIMARY KEY (model_id, part),
  CONSTRAINT embedder_model_parts_model_fk FOREIGN KEY (model_id) REFERENCES embedder_models (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
