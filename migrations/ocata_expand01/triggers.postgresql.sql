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
-- The functions read the row through to_jsonb() and write it through jsonb_populate_record()
-- instead of naming NEW.is_public: a database expanded here may be contracted by Glance's own
-- glance-manage, which drops is_public with a plain ALTER TABLE and leaves these triggers in
-- place. Once is_public is gone they let every write through unchanged, where a function naming
-- the column would fail every INSERT and UPDATE on images. (The triggers fire on every UPDATE,
-- not `UPDATE OF is_public, visibility`, for the same reason: a column list would make the
-- trigger depend on is_public and that ALTER TABLE fail.)

CREATE OR REPLACE FUNCTION insert_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := to_jsonb(NEW);
BEGIN
    IF NOT r ? 'is_public' THEN
        RETURN NEW;
    END IF;
    IF (r->>'is_public' IS NULL) = (r->>'visibility' IS NULL) THEN
        -- both given, or neither
        RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
    ELSIF r->>'is_public' IS NOT NULL THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('visibility',
                   CASE WHEN (r->>'is_public')::boolean THEN 'public' ELSE 'shared' END));
    ELSE
        NEW := jsonb_populate_record(NEW, jsonb_build_object('is_public',
                   r->>'visibility' = 'public'));
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION update_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n jsonb := to_jsonb(NEW);
    o jsonb := to_jsonb(OLD);
BEGIN
    IF NOT n ? 'is_public' THEN
        RETURN NEW;
    END IF;
    IF n->'is_public' IS DISTINCT FROM o->'is_public' THEN
        IF n->>'is_public' IS NULL OR n->'visibility' IS DISTINCT FROM o->'visibility' THEN
            -- is_public set to NULL, or both changed at once
            RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
        END IF;
        NEW := jsonb_populate_record(NEW, jsonb_build_object('visibility',
                   CASE WHEN (n->>'is_public')::boolean THEN 'public' ELSE 'shared' END));
    ELSIF n->'visibility' IS DISTINCT FROM o->'visibility' THEN
        IF n->>'visibility' IS NULL THEN
            RAISE EXCEPTION 'Invalid visibility value' USING ERRCODE = '45000';
        END IF;
        NEW := jsonb_populate_record(NEW, jsonb_build_object('is_public',
                   n->>'visibility' = 'public'));
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS insert_visibility ON images;

CREATE TRIGGER insert_visibility BEFORE INSERT ON images
    FOR EACH ROW EXECUTE FUNCTION insert_visibility();

DROP TRIGGER IF EXISTS update_visibility ON images;

CREATE TRIGGER update_visibility BEFORE UPDATE ON images
    FOR EACH ROW EXECUTE FUNCTION update_visibility();
