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
-- Each statement picks its rows first, in an ARRAY(...) that PostgreSQL computes once, then
-- updates them through the primary key (id = ANY): a plan that does not depend on statistics,
-- which are stale during a migration (taken while every visibility was NULL, they make `id IN
-- (SELECT ... LIMIT n)` a nested loop that runs the subquery again for every row). The first
-- statement picks through visibility_image_idx (visibility IS NULL; the ORDER BY, which the
-- index gives for free, keeps the planner on the index when statistics say most rows are NULL,
-- where a sequential scan would step over every row already migrated, batch after batch), so a
-- batch costs the same at the end of the table as at its start. The WHERE repeats the choice:
-- a row that a service updated between the pick and the update (the rolling-upgrade triggers
-- then set its visibility) is left as that service made it.
UPDATE images
SET visibility = CASE
        WHEN COALESCE(is_public, false) THEN CAST('public' AS image_visibility)
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN CAST('shared' AS image_visibility)
        ELSE CAST('private' AS image_visibility)
    END
WHERE visibility IS NULL
  AND id = ANY (ARRAY(SELECT id FROM images WHERE visibility IS NULL
                      ORDER BY visibility LIMIT :batch));

UPDATE images
SET visibility = CAST('shared' AS image_visibility)
WHERE visibility = 'private'
  AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND NOT m.deleted)
  AND id = ANY (ARRAY(SELECT i.id FROM images i
                      WHERE i.visibility = 'private'
                        AND EXISTS (SELECT 1 FROM image_members m
                                    WHERE m.image_id = i.id AND NOT m.deleted)
                      LIMIT :batch));
