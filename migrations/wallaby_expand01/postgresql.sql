-- wallaby_expand01: add tasks.image_id, tasks.request_id, tasks.user_id, and an index on
-- tasks.image_id.

ALTER TABLE tasks ADD COLUMN IF NOT EXISTS image_id VARCHAR(36);

ALTER TABLE tasks ADD COLUMN IF NOT EXISTS request_id VARCHAR(64);

ALTER TABLE tasks ADD COLUMN IF NOT EXISTS user_id VARCHAR(64);

CREATE INDEX IF NOT EXISTS ix_tasks_image_id ON tasks (image_id);
