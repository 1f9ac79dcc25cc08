-- ocata_expand01 rolling-upgrade triggers (PostgreSQL; Glance itself has none for PostgreSQL, and
-- refuses rolling upgrades there): the same rules as triggers.mysql.sql. While Newton services
-- (which write images.is_public) and Ocata-or-later services (which write images.visibility)
-- share the database, a write that gives one of the two gets the other set to match:
--   is_public true -> visibility 'public'; is_public false -> visibility 'shared';
--   visibility 'public' -> is_public true; any other visibility -> is_public false.
-- An INSERT must give exactly one of the two, an UPDATE may change at most one of them, and
-- neither may be set to NULL: otherwise the write fails with SQLSTATE 45000
-- 'Invalid visibility value'. Installed by `expand` only (never by `sync`); ocata_contract01
-- drops the triggers and their functions.
--
-- A database expanded here may be contracted by Glance's own glance-manage, which drops
-- is_public with a plain ALTER TABLE and leaves these triggers in place: the functions then let
-- every write through unchanged, where a function naming a column that is gone would fail every
-- INSERT and UPDATE on images. They read is_public in a block that catches undefined_column
-- (the cheapest test that it is there: a few microseconds a row, where reading the row through
-- to_jsonb() costs ten times more, in every batch of the data migration too). The triggers
-- fire on every UPDATE, not `UPDATE OF is_public, visibility`, for the same reason: a column
-- list would make them depend on is_public and that ALTER TABLE fail.
--
-- The update trigger does not fire for the data migration's own batches
-- (ocata_migrate01/batch.postgresql.sql sets glance_emc.data_migration to 'ocata_migrate01' in
-- each batch's transaction, and nobody else does): a batch sets visibility from is_public, so
-- the function would only set is_public to the value it has (is_public is NOT NULL). The WHEN
-- clause costs a fraction of a microsecond a row, where the function, with its block that
-- catches undefined_column (a subtransaction), took 1.5-1.7 us a call (EXPLAIN ANALYZE: 158-177
-- ms for the 104k rows of 2000 pages at 1M images): 4-5% of the migration's time.

CREATE OR REPLACE FUNCTION insert_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pub boolean;
BEGIN
    BEGIN
        pub := NEW.is_public;
    EXCEPTION WHEN undefined_column THEN
        RETURN NEW;
    END;
    IF (pub IS NULL) = (NEW.visibility IS NULL) THEN
        -- both given, or neither
        RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
    ELSIF pub IS NOT NULL THEN
        NEW.visibility := CAST(CASE WHEN pub THEN 'public' ELSE 'shared' END AS image_visibility);
    ELSE
        NEW.is_public := (NEW.visibility = 'public');
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION update_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_pub boolean;
    old_pub boolean;
BEGIN
    BEGIN
        new_pub := NEW.is_public;
        old_pub := OLD.is_public;
    EXCEPTION WHEN undefined_column THEN
        RETURN NEW;
    END;
    IF new_pub IS DISTINCT FROM old_pub THEN
        IF new_pub IS NULL OR NEW.visibility IS DISTINCT FROM OLD.visibility THEN
            -- is_public set to NULL, or both changed at once
            RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
        END IF;
        NEW.visibility := CAST(CASE WHEN new_pub THEN 'public' ELSE 'shared' END
                               AS image_visibility);
    ELSIF NEW.visibility IS DISTINCT FROM OLD.visibility THEN
        IF NEW.visibility IS NULL THEN
            RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
        END IF;
        NEW.is_public := (NEW.visibility = 'public');
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS insert_visibility ON images;

CREATE TRIGGER insert_visibility BEFORE INSERT ON images
    FOR EACH ROW EXECUTE FUNCTION insert_visibility();

DROP TRIGGER IF EXISTS update_visibility ON images;

CREATE TRIGGER update_visibility BEFORE UPDATE ON images
    FOR EACH ROW
    WHEN (current_setting('glance_emc.data_migration', true) IS DISTINCT FROM 'ocata_migrate01')
    EXECUTE FUNCTION update_visibility();
