ALTER TABLE `devices` ADD `current_release_at` integer;
