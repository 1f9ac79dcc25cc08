-- ocata_contract01: drop images.is_public and its index; images.visibility becomes NOT NULL
-- DEFAULT 'shared' (fails while a row still has no visibility: ocata_migrate01 runs first).
-- MariaDB drops the CHECK on is_public (CONSTRAINT_1) with the column; the CHECKs on deleted and
-- protected stay, named CONSTRAINT_2 and CONSTRAINT_3.

DROP INDEX ix_images_is_public ON images;

ALTER TABLE images DROP COLUMN is_public;

ALTER TABLE images MODIFY visibility ENUM('private','public','shared','community') NOT NULL DEFAULT 'shared';
