-- Rows ocata_migrate01 still has to set: images without a visibility, and private images that
-- have a member not deleted (they must be 'shared'; Glance's has_migrations checks the same two).
SELECT COUNT(*) FROM images
WHERE visibility IS NULL
   OR (visibility = 'private'
       AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND NOT m.deleted));
