-- ocata_contract01: drop images.is_public and its index; images.visibility becomes NOT NULL
-- DEFAULT 'shared' (fails while a row still has no visibility: ocata_migrate01 runs first).

DROP INDEX IF EXISTS ix_images_is_public;

ALTER TABLE images DROP COLUMN IF EXISTS is_public;

ALTER TABLE images ALTER COLUMN visibility SET NOT NULL;

ALTER TABLE images ALTER COLUMN visibility SET DEFAULT 'shared';
