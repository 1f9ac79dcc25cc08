-- emc:window images.rowid
-- Set images.visibility from the Newton-era is_public flag and the image's members:
--   is_public true                          -> public
--   otherwise, a member that is not deleted -> shared
--   otherwise                               -> private
-- and turn a 'private' image that has a member not deleted into 'shared' (Glance does this
-- too). An is_public left NULL counts as false (Glance would leave such a row NULL forever, and
-- its contract would then fail). Every row changed no longer matches.
--
-- The runner walks the table's rowid in windows of at most a batch of rows (lo <= rowid <= hi;
-- the first line above, migrations/README.md): each batch reads and rewrites neighbouring pages
-- of the table (a window of images.id, a UUID, would touch a page per row, and SQLite journals
-- and rewrites every page a transaction changes), so it costs the same at the end of the table
-- as at its start, and no batch has to read every private image to find those with a member.
-- (The unary + keeps SQLite from reading the window's rows through visibility_image_idx
-- instead, that is, every row NULL or private.)
UPDATE images
SET visibility = CASE
        WHEN visibility IS NULL AND COALESCE(is_public, 0) THEN 'public'
        WHEN EXISTS (SELECT 1 FROM image_members m
                     WHERE m.image_id = images.id AND NOT m.deleted) THEN 'shared'
        ELSE 'private'
    END
WHERE rowid BETWEEN :lo AND :hi
  AND (+visibility IS NULL
       OR (+visibility = 'private'
           AND EXISTS (SELECT 1 FROM image_members m
                       WHERE m.image_id = images.id AND NOT m.deleted)));
