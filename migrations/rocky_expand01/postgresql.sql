-- rocky_expand01: add images.os_hidden (boolean, NOT NULL, default false) and its index.

ALTER TABLE images ADD COLUMN IF NOT EXISTS os_hidden BOOLEAN DEFAULT false NOT NULL;

CREATE INDEX IF NOT EXISTS os_hidden_image_idx ON images (os_hidden);
