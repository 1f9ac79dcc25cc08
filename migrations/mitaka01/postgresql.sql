-- mitaka01: index images.created_at and images.updated_at.

CREATE INDEX IF NOT EXISTS created_at_image_idx ON images (created_at);

CREATE INDEX IF NOT EXISTS updated_at_image_idx ON images (updated_at);
