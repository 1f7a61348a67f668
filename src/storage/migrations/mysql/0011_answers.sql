-- 0011_answers (MySQL/MariaDB): what the answer pipeline (issue 10) keeps. Kept in step with
-- sqlite/0011_answers.sql.
--   * chatbots.answer_settings: the chatbot's `answers` settings, a JSON object (NULL: defaults);
--   * per bot message: the model that answered, its token counts, whether it is the fallback
--     answer or a degraded one (the extractive answer given because the LLM failed), and further
--     metadata as a JSON object (uncited sources, the standalone question used for retrieval...).
ALTER TABLE chatbots ADD COLUMN answer_settings LONGTEXT NULL;
ALTER TABLE chat_messages
  ADD COLUMN model VARCHAR(191) NULL,
  ADD COLUMN prompt_tokens BIGINT NULL,
  ADD COLUMN completion_tokens BIGINT NULL,
  ADD COLUMN fallback TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN degraded TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN metadata LONGTEXT NULL;
