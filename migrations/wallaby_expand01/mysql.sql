-- wallaby_expand01: add tasks.image_id, tasks.request_id, tasks.user_id, and an index on
-- tasks.image_id.

ALTER TABLE tasks ADD COLUMN image_id VARCHAR(36);

ALTER TABLE tasks ADD COLUMN request_id VARCHAR(64);

ALTER TABLE tasks ADD COLUMN user_id VARCHAR(64);

CREATE INDEX ix_tasks_image_id ON tasks (image_id);
