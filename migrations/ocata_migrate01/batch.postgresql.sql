-- emc:window images.ctid
-- Set images.visibility from the Newton-era is_public flag and the image's members:
--   is_public true                          -> public
--   otherwise, a member that is not deleted -> shared
--   otherwise                               -> private
-- and turn a 'private' image that has a member not deleted into 'shared' (Glance does this
-- too). An is_public left NULL counts as false (Glance would leave such a row NULL forever, and
-- its contract would then fail). Every row changed no longer matches.
--
-- The runner walks the table in physical order, in windows of at most a batch of row versions
-- (lo < ctid <= hi; the first line above, migrations/README.md): each batch reads neighbouring
-- pages through a TID range scan, so it costs the same at the end of the table as at its start,
-- reads the heap in order (a window of images.id, a UUID, would read a page per row), and no
-- batch has to read every private image to find those with a member. A row updated meanwhile
-- by a service moves to another page and is left as that service made it (the rolling-upgrade
-- triggers set its
-- visibility); the WHERE is evaluated on the row as the update finds it. The member test in
-- the CASE is a subquery with LIMIT 1, not EXISTS: PostgreSQL would hash an EXISTS there,
-- reading every member of every image for each batch (a third of a batch's time at 1M images)
-- where a batch needs an index probe for each of its private images.
--
-- The first statement tells the rolling-upgrade update trigger (ocata_expand01's
-- triggers.postgresql.sql) that this transaction is the data migration's: it would only set
-- is_public to what it already is, at the cost of a subtransaction a row. SET LOCAL ends with
-- the batch's transaction, committed or rolled back.
SET LOCAL glance_emc.data_migration = 'ocata_migrate01';
UPDATE images
SET visibility = CASE
        WHEN visibility IS NULL AND COALESCE(is_public, false) THEN CAST('public' AS image_visibility)
        WHEN (SELECT true FROM image_members m
              WHERE m.image_id = images.id AND NOT m.deleted LIMIT 1) THEN CAST('shared' AS image_visibility)
        ELSE CAST('private' AS image_visibility)
    END
WHERE ctid > CAST(:lo AS tid) AND ctid <= CAST(:hi AS tid)
  AND (visibility IS NULL
       OR (visibility = 'private'
           AND EXISTS (SELECT 1 FROM image_members m
                       WHERE m.image_id = images.id AND NOT m.deleted)));
