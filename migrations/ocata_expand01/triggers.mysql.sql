-- ocata_expand01 rolling-upgrade triggers (MySQL/MariaDB): while Newton services (which write
-- images.is_public) and Ocata-or-later services (which write images.visibility) share the
-- database, every write that gives one of the two gets the other set to match:
--   is_public true -> visibility 'public'; is_public false -> visibility 'shared';
--   visibility 'public' -> is_public true; any other visibility -> is_public false.
-- An INSERT must give exactly one of the two, an UPDATE may change at most one of them, and
-- neither may be set to NULL: otherwise the write fails with SQLSTATE 45000
-- 'Invalid visibility value'. Installed by `expand` only (never by `sync`); ocata_contract01
-- drops them. Creating triggers needs SUPER or log_bin_trust_function_creators=1 when the
-- server writes a binary log.

DROP TRIGGER IF EXISTS insert_visibility;

DROP TRIGGER IF EXISTS update_visibility;

DELIMITER //

CREATE TRIGGER insert_visibility BEFORE INSERT ON images
FOR EACH ROW
BEGIN
    IF (NEW.is_public IS NULL) = (NEW.visibility IS NULL) THEN
        -- both given, or neither
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Invalid visibility value';
    ELSEIF NEW.is_public IS NOT NULL THEN
        SET NEW.visibility = IF(NEW.is_public = 1, 'public', 'shared');
    ELSE
        SET NEW.is_public = IF(NEW.visibility = 'public', 1, 0);
    END IF;
END//

CREATE TRIGGER update_visibility BEFORE UPDATE ON images
FOR EACH ROW
BEGIN
    IF NOT (NEW.is_public <=> OLD.is_public) THEN
        IF NEW.is_public IS NULL OR NOT (NEW.visibility <=> OLD.visibility) THEN
            -- is_public set to NULL, or both changed at once
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Invalid visibility value';
        END IF;
        SET NEW.visibility = IF(NEW.is_public = 1, 'public', 'shared');
    ELSEIF NOT (NEW.visibility <=> OLD.visibility) THEN
        IF NEW.visibility IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Invalid visibility value';
        END IF;
        SET NEW.is_public = IF(NEW.visibility = 'public', 1, 0);
    END IF;
END//

DELIMITER ;
