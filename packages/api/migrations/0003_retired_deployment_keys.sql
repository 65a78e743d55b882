CREATE TABLE `retired_deployment_keys` (
	`deployment_key` text PRIMARY KEY NOT NULL,
	`channel_id` text NOT NULL,
	`retired_at` integer NOT NULL
);
