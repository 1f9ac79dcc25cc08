-- Drop the rolling-upgrade triggers of ocata_expand01 and their functions (installed by `expand`
-- only; absent after `sync`, hence IF EXISTS).

DROP TRIGGER IF EXISTS insert_visibility ON images;

DROP TRIGGER IF EXISTS update_visibility ON images;

DROP FUNCTION IF EXISTS insert_visibility();

DROP FUNCTION IF EXISTS update_visibility();
