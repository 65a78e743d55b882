CREATE TABLE `patch_channels` (
	`app_id` text NOT NULL,
	`release_version` text NOT NULL,
	`patch_number` integer NOT NULL,
	`channel` text DEFAULT 'stable' NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `release_version`, `patch_number`)
);--> statement-breakpoint
CREATE INDEX `patch_channels_channel_idx` ON `patch_channels` (`app_id`,`release_version`,`channel`);
