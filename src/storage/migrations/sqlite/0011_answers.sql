-- 0011_answers (SQLite): what the answer pipeline (issue 10) keeps. Kept in step with
-- mysql/0011_answers.sql.
--   * chatbots.answer_settings: the chatbot's `answers` settings, a JSON object (NULL: defaults);
--   * per bot message: the model that answered, its token counts, whether it is the fallback
--     answer or a degraded one (the extractive answer given because the LLM failed), and further
--     metadata as a JSON object (uncited sources, the standalone question used for retrieval...).
ALTER TABLE chatbots ADD COLUMN answer_settings TEXT;
ALTER TABLE chat_messages ADD COLUMN model TEXT;
ALTER TABLE chat_messages ADD COLUMN prompt_tokens INTEGER;
ALTER TABLE chat_messages ADD COLUMN completion_tokens INTEGER;
ALTER TABLE chat_messages ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0 CHECK (fallback IN (0, 1));
ALTER TABLE chat_messages ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0 CHECK (degraded IN (0, 1));
ALTER TABLE chat_messages ADD COLUMN metadata TEXT;
