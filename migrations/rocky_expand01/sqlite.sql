-- rocky_expand01: add images.os_hidden (boolean, NOT NULL, default false) and its index.
-- ALTER TABLE ADD COLUMN appends the definition as written to the text SQLite keeps for images,
-- so it is Glance's exactly (DEFAULT (0)).

ALTER TABLE images ADD COLUMN os_hidden BOOLEAN DEFAULT (0) NOT NULL;

CREATE INDEX IF NOT EXISTS os_hidden_image_idx ON images (os_hidden);
