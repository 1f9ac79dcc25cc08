-- Set images.visibility from the Newton-era is_public flag and the image's members, at most
-- :batch images a batch:
--   is_public true                          -> public
--   otherwise, a member that is not deleted -> shared
--   otherwise                               -> private
-- then, once every image has a visibility (the runner runs the second statement only when the
-- first changes nothing), turn a 'private' image that has a member not deleted into 'shared'
-- (Glance does this too). An is_public left NULL counts as false (Glance would leave such a row
-- NULL forever, and its contract would then fail). Every row chosen changes and no longer
-- matches the choice.
--
-- The first statement finds its rows through visibility_image_idx (INDEXED BY: once ANALYZE has
-- run, SQLite would otherwise scan the table from its start, stepping over every row already
-- migrated, batch after batch), so a batch costs the same at the end of the table as at its
-- start.
UPDATE images
SET visibility = CASE
        WHEN COALESCE(is_public, 0) THEN 'public'
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN 'shared'
        ELSE 'private'
    END
WHERE id IN (SELECT id FROM images INDEXED BY visibility_image_idx
             WHERE visibility IS NULL LIMIT :batch);

UPDATE images
SET visibility = 'shared'
WHERE id IN (
    SELECT i.id FROM images i
    WHERE i.visibility = 'private'
      AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND NOT m.deleted)
    LIMIT :batch);
