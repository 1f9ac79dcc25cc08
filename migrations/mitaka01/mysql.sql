-- mitaka01: index images.created_at and images.updated_at.

CREATE INDEX created_at_image_idx ON images (created_at);

CREATE INDEX updated_at_image_idx ON images (updated_at);
