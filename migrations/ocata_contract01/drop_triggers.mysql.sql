-- Drop the rolling-upgrade triggers of ocata_expand01 (installed by `expand` only; absent after
-- `sync`, hence IF EXISTS).

DROP TRIGGER IF EXISTS insert_visibility;

DROP TRIGGER IF EXISTS update_visibility;
