-- ocata_expand01: add images.visibility (enum type image_visibility) and make images.is_public
-- nullable without a default, so that services that write only visibility can insert rows.
-- (PostgreSQL runs a revision in one transaction, so CREATE TYPE needs no guard.)

CREATE TYPE image_visibility AS ENUM ('private', 'public', 'shared', 'community');

ALTER TABLE images ADD COLUMN IF NOT EXISTS visibility image_visibility;

CREATE INDEX IF NOT EXISTS visibility_image_idx ON images (visibility);

ALTER TABLE images ALTER COLUMN is_public DROP NOT NULL;

ALTER TABLE images ALTER COLUMN is_public DROP DEFAULT;
