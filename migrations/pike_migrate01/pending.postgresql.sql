-- Nothing to migrate: upstream Glance ships this data migration empty.
SELECT 0;
