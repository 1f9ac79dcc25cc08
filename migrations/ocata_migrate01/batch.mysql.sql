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
-- MySQL allows no LIMIT in an IN subquery, but a single-table UPDATE takes ORDER BY and LIMIT.
-- ORDER BY visibility, id is the order of visibility_image_idx (InnoDB secondary index entries
-- end with the primary key): the first statement reads the index from its NULL end and stops
-- after :batch rows, with no sort, so a batch costs the same at the end of the table as at its
-- start (ORDER BY id alone makes MariaDB sort every row still NULL, batch after batch).
UPDATE images
SET visibility = CASE
        WHEN COALESCE(is_public, 0) THEN 'public'
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN 'shared'
        ELSE 'private'
    END
WHERE visibility IS NULL
ORDER BY visibility, id
LIMIT :batch;

UPDATE images
SET visibility = 'shared'
WHERE visibility = 'private'
  AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND NOT m.deleted)
ORDER BY visibility, id
LIMIT :batch;
