-- rocky_expand02: add images.os_hash_algo and images.os_hash_value, and an index on the latter.

ALTER TABLE images ADD COLUMN IF NOT EXISTS os_hash_algo VARCHAR(64);

ALTER TABLE images ADD COLUMN IF NOT EXISTS os_hash_value VARCHAR(128);

CREATE INDEX IF NOT EXISTS os_hash_value_image_idx ON images (os_hash_value);
