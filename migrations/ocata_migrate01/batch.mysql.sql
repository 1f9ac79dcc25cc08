-- Set images.visibility from the Newton-era is_public flag and the image's members, at most
-- :batch images per batch:
--   is_public true                          -> public
--   otherwise, a member that is not deleted -> shared
--   otherwise                               -> private
-- and turn a 'private' image that has a member not deleted into 'shared' (Glance does this too).
-- An is_public left NULL counts as false (Glance would leave such a row NULL forever, and its
-- contract would then fail). Every row chosen changes and no longer matches the choice.
-- MySQL allows no LIMIT in an IN subquery, but a single-table UPDATE takes ORDER BY and LIMIT.
UPDATE images
SET visibility = CASE
        WHEN visibility IS NULL AND COALESCE(is_public, 0) THEN 'public'
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN 'shared'
        ELSE 'private'
    END
WHERE visibility IS NULL
   OR (visibility = 'private'
       AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND NOT m.deleted))
ORDER BY id
LIMIT :batch;
