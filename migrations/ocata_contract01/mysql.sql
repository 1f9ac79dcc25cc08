-- ocata_contract01: drop images.is_public and its index; images.visibility becomes NOT NULL
-- DEFAULT 'shared' (fails while a row still has no visibility: ocata_migrate01 runs first).
-- MariaDB drops the CHECK on is_public (CONSTRAINT_1) with the column; the CHECKs on deleted and
-- protected stay, named CONSTRAINT_2 and CONSTRAINT_3.
--
-- MySQL commits each of these statements by itself, so the order matters to services still
-- writing: visibility becomes NOT NULL first, while the rolling-upgrade triggers still refuse a
-- NULL visibility (dropped first, they would leave a moment in which one could be written, and
-- this statement would then fail); the triggers go next (see the marker: the runner puts
-- drop_triggers.mysql.sql there), before is_public, which they name, is dropped.

ALTER TABLE images MODIFY visibility ENUM('private','public','shared','community') NOT NULL DEFAULT 'shared';

-- emc:drop-triggers-here

DROP INDEX ix_images_is_public ON images;

ALTER TABLE images DROP COLUMN is_public;
