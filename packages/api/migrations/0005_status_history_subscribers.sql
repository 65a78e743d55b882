CREATE TABLE `component_status_log` (
	`id` text PRIMARY KEY NOT NULL,
	`page_id` text NOT NULL,
	`component_id` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`page_id`) REFERENCES `pages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE INDEX `component_status_log_component_idx` ON `component_status_log` (`component_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `component_status_log_page_ended_idx` ON `component_status_log` (`page_id`,`ended_at`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`page_id` text NOT NULL,
	`mode` text NOT NULL,
	`email` text,
	`endpoint` text,
	`component_ids` text,
	`signing_secret` text,
	`unsubscribe_token_hash` text,
	`confirmed_at` integer,
	`quarantined_at` integer,
	`purge_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`page_id`) REFERENCES `pages`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_unsubscribe_token_hash_unique` ON `subscribers` (`unsubscribe_token_hash`);--> statement-breakpoint
CREATE INDEX `subscribers_page_idx` ON `subscribers` (`page_id`,`mode`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` text NOT NULL,
	`event` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`response_status` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_subscriber_idx` ON `webhook_deliveries` (`subscriber_id`,`created_at`);
