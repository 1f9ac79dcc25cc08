-- rocky_expand01: add images.os_hidden (boolean, NOT NULL, default false) and its index.

ALTER TABLE images ADD COLUMN os_hidden BOOL NOT NULL DEFAULT false;

CREATE INDEX os_hidden_image_idx ON images (os_hidden);
