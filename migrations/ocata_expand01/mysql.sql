-- ocata_expand01: add images.visibility (an ENUM) and make images.is_public nullable without a
-- default, so that services that write only visibility can insert rows. The rolling-upgrade
-- triggers are in triggers.mysql.sql (installed by `expand` only).

ALTER TABLE images ADD COLUMN visibility ENUM('private','public','shared','community');

CREATE INDEX visibility_image_idx ON images (visibility);

ALTER TABLE images MODIFY is_public BOOL NULL;
