-- emc:window images.id
-- Set images.visibility from the Newton-era is_public flag and the image's members:
--   is_public true                          -> public
--   otherwise, a member that is not deleted -> shared
--   otherwise                               -> private
-- and turn a 'private' image that has a member not deleted into 'shared' (Glance does this
-- too). An is_public left NULL counts as false (Glance would leave such a row NULL forever, and
-- its contract would then fail). Every row changed no longer matches.
--
-- The runner walks images.id in windows of at most a batch of ids (lo <= id <= hi; the first line
-- above, migrations/README.md): each batch reads its window through the primary key, so it
-- costs the same at the end of the table as at its start, and no batch has to read every
-- private image to find those with a member. The WHERE is evaluated on the row as it is when
-- the update locks it: a row that a service changed meanwhile (the rolling-upgrade triggers then
-- set its visibility) is left as that service made it.
UPDATE images
SET visibility = CASE
        WHEN visibility IS NULL AND COALESCE(is_public, 0) THEN 'public'
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN 'shared'
        ELSE 'private'
    END
WHERE id BETWEEN :lo AND :hi
  AND (visibility IS NULL
       OR (visibility = 'private'
           AND EXISTS (SELECT 1 FROM image_members m
                       WHERE m.image_id = images.id AND NOT m.deleted)));
