CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text NOT NULL,
	`org_id` text NOT NULL,
	`app_id` text,
	`role` text DEFAULT 'developer' NOT NULL,
	`scope` text DEFAULT 'full' NOT NULL,
	`created_by_user_id` text,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique_idx` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_org_idx` ON `api_keys` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `api_keys_app_idx` ON `api_keys` (`app_id`);--> statement-breakpoint
CREATE INDEX `api_keys_created_by_idx` ON `api_keys` (`created_by_user_id`);--> statement-breakpoint
CREATE TABLE `audit_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text,
	`user_id` text,
	`actor_type` text DEFAULT 'user' NOT NULL,
	`api_key_id` text,
	`action` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text NOT NULL,
	`old_values` text,
	`new_values` text,
	`ip_address` text,
	`user_agent` text,
	`timestamp` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `audit_logs_user_idx` ON `audit_logs` (`user_id`);--> statement-breakpoint
CREATE INDEX `audit_logs_resource_idx` ON `audit_logs` (`resource_type`,`resource_id`);--> statement-breakpoint
CREATE INDEX `audit_logs_action_idx` ON `audit_logs` (`action`);--> statement-breakpoint
CREATE INDEX `audit_logs_timestamp_idx` ON `audit_logs` (`timestamp`);--> statement-breakpoint
CREATE INDEX `audit_logs_org_timestamp_idx` ON `audit_logs` (`org_id`,`timestamp`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memberships_org_user_unique_idx` ON `memberships` (`org_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`plan` text DEFAULT 'free' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_slug_unique_idx` ON `organizations` (`slug`) WHERE "organizations"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `organizations_deleted_at_idx` ON `organizations` (`deleted_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`access_token_hash` text NOT NULL,
	`refresh_token_hash` text NOT NULL,
	`previous_refresh_token_hash` text,
	`ip_address` text NOT NULL,
	`user_agent` text NOT NULL,
	`device_fingerprint` text,
	`device_name` text,
	`device_type` text,
	`os_name` text,
	`browser_name` text,
	`country` text,
	`city` text,
	`is_active` integer DEFAULT true,
	`access_expires_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_access_token_idx` ON `sessions` (`access_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_refresh_token_idx` ON `sessions` (`refresh_token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_previous_refresh_token_idx` ON `sessions` (`previous_refresh_token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_expires_at_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `sessions_is_active_idx` ON `sessions` (`is_active`);--> statement-breakpoint
CREATE INDEX `sessions_device_fingerprint_idx` ON `sessions` (`device_fingerprint`);--> statement-breakpoint
CREATE TABLE `user_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`org_id` text,
	`provider` text NOT NULL,
	`secret_type` text NOT NULL,
	`display_name` text NOT NULL,
	`encrypted_value` text NOT NULL,
	`key_preview` text,
	`is_active` integer DEFAULT true,
	`last_used` integer,
	`usage_count` integer DEFAULT 0,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`expires_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `user_secrets_user_provider_idx` ON `user_secrets` (`user_id`,`provider`);--> statement-breakpoint
CREATE INDEX `user_secrets_provider_idx` ON `user_secrets` (`provider`);--> statement-breakpoint
CREATE INDEX `user_secrets_is_active_idx` ON `user_secrets` (`is_active`);--> statement-breakpoint
CREATE INDEX `user_secrets_last_used_idx` ON `user_secrets` (`last_used`);--> statement-breakpoint
CREATE INDEX `user_secrets_org_idx` ON `user_secrets` (`org_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`username` text,
	`display_name` text NOT NULL,
	`avatar_url` text,
	`bio` text,
	`provider` text NOT NULL,
	`provider_id` text NOT NULL,
	`email_verified` integer DEFAULT false,
	`password_hash` text,
	`failed_login_attempts` integer DEFAULT 0,
	`locked_until` integer,
	`password_changed_at` integer,
	`preferences` text DEFAULT '{}',
	`theme` text DEFAULT 'system',
	`timezone` text DEFAULT 'UTC',
	`is_active` integer DEFAULT true,
	`is_suspended` integer DEFAULT false,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_active_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE INDEX `users_email_idx` ON `users` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_provider_unique_idx` ON `users` (`provider`,`provider_id`);--> statement-breakpoint
CREATE INDEX `users_username_idx` ON `users` (`username`);--> statement-breakpoint
CREATE INDEX `users_failed_login_attempts_idx` ON `users` (`failed_login_attempts`);--> statement-breakpoint
CREATE INDEX `users_locked_until_idx` ON `users` (`locked_until`);--> statement-breakpoint
CREATE INDEX `users_is_active_idx` ON `users` (`is_active`);--> statement-breakpoint
CREATE INDEX `users_last_active_at_idx` ON `users` (`last_active_at`);--> statement-breakpoint
CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`bundle_id` text NOT NULL,
	`platform` text NOT NULL,
	`org_id` text NOT NULL,
	`settings` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `apps_owner_idx` ON `apps` (`org_id`);--> statement-breakpoint
CREATE INDEX `apps_bundle_id_idx` ON `apps` (`bundle_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `apps_org_name_unique_idx` ON `apps` (`org_id`,`name`) WHERE "apps"."deleted_at" IS NULL;--> statement-breakpoint
CREATE TABLE `channels` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`name` text NOT NULL,
	`deployment_key` text NOT NULL,
	`cache_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channels_deployment_key_unique_idx` ON `channels` (`deployment_key`);--> statement-breakpoint
CREATE INDEX `channels_app_idx` ON `channels` (`app_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `channels_app_name_unique_idx` ON `channels` (`app_id`,`name`) WHERE "channels"."deleted_at" IS NULL;--> statement-breakpoint
CREATE TABLE `patches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app_id` text NOT NULL,
	`release_version` text NOT NULL,
	`patch_number` integer NOT NULL,
	`platform` text NOT NULL,
	`arch` text NOT NULL,
	`download_url` text NOT NULL,
	`hash` text NOT NULL,
	`hash_signature` text,
	`active` integer DEFAULT 1,
	`created_at` integer NOT NULL,
	CONSTRAINT "patches_platform_check" CHECK("patches"."platform" IN ('android', 'ios')),
	CONSTRAINT "patches_arch_check" CHECK("patches"."arch" IN ('aarch64', 'x86_64', 'x86', 'arm'))
);
--> statement-breakpoint
CREATE INDEX `idx_patches_lookup` ON `patches` (`app_id`,`release_version`,`platform`,`arch`,`active`,`patch_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `patches_unique` ON `patches` (`app_id`,`release_version`,`platform`,`arch`,`patch_number`);--> statement-breakpoint
CREATE TABLE `release_diffs` (
	`id` text PRIMARY KEY NOT NULL,
	`release_id` text NOT NULL,
	`base_release_id` text NOT NULL,
	`kind` text NOT NULL,
	`base_hash` text NOT NULL,
	`object_key` text NOT NULL,
	`size` integer NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`release_id`) REFERENCES `releases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`base_release_id`) REFERENCES `releases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `release_diffs_unique_idx` ON `release_diffs` (`release_id`,`base_release_id`,`kind`);--> statement-breakpoint
CREATE INDEX `release_diffs_base_hash_idx` ON `release_diffs` (`release_id`,`base_hash`);--> statement-breakpoint
CREATE INDEX `release_diffs_base_release_idx` ON `release_diffs` (`base_release_id`);--> statement-breakpoint
CREATE TABLE `releases` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`version` text NOT NULL,
	`label` text NOT NULL,
	`bundle_url` text NOT NULL,
	`bundle_size` integer NOT NULL,
	`bundle_hash` text NOT NULL,
	`package_hash` text,
	`targeting_rules` text,
	`release_notes` text,
	`status` text DEFAULT 'active' NOT NULL,
	`rollback_reason` text,
	`min_app_version` text,
	`max_app_version` text,
	`app_version_range` text,
	`runtime_version` text,
	`is_mandatory` integer DEFAULT false NOT NULL,
	`rollout_percentage` integer DEFAULT 100 NOT NULL,
	`signature` text,
	`release_method` text DEFAULT 'upload' NOT NULL,
	`origin_release_id` text,
	`created_by_user_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `releases_app_idx` ON `releases` (`app_id`);--> statement-breakpoint
CREATE INDEX `releases_status_idx` ON `releases` (`status`);--> statement-breakpoint
CREATE INDEX `releases_created_idx` ON `releases` (`created_at`);--> statement-breakpoint
CREATE INDEX `releases_channel_created_idx` ON `releases` (`channel_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `releases_channel_label_unique_idx` ON `releases` (`channel_id`,`label`);--> statement-breakpoint
CREATE INDEX `releases_created_by_idx` ON `releases` (`created_by_user_id`);--> statement-breakpoint
CREATE TABLE `upload_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`app_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`release_id` text,
	`user_id` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`priority` integer DEFAULT 2 NOT NULL,
	`pending_key` text NOT NULL,
	`size` integer,
	`declared_hash` text,
	`options` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `upload_jobs_app_created_idx` ON `upload_jobs` (`app_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `upload_jobs_status_idx` ON `upload_jobs` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `upload_jobs_org_idx` ON `upload_jobs` (`org_id`);--> statement-breakpoint
CREATE INDEX `upload_jobs_channel_idx` ON `upload_jobs` (`channel_id`);--> statement-breakpoint
CREATE INDEX `upload_jobs_user_idx` ON `upload_jobs` (`user_id`);--> statement-breakpoint
CREATE TABLE `component_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`page_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`position` integer DEFAULT 0,
	`expanded` integer DEFAULT true,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`page_id`) REFERENCES `pages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `component_groups_page_idx` ON `component_groups` (`page_id`,`position`);--> statement-breakpoint
CREATE TABLE `components` (
	`id` text PRIMARY KEY NOT NULL,
	`page_id` text NOT NULL,
	`group_id` text,
	`name` text NOT NULL,
	`description` text,
	`status` text DEFAULT 'operational',
	`position` integer DEFAULT 0,
	`showcase` integer DEFAULT true,
	`only_show_if_degraded` integer DEFAULT false,
	`start_date` text,
	`automation_email` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`page_id`) REFERENCES `pages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `component_groups`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `components_page_idx` ON `components` (`page_id`);--> statement-breakpoint
CREATE INDEX `components_group_idx` ON `components` (`group_id`);--> statement-breakpoint
CREATE TABLE `incident_components` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`component_id` text NOT NULL,
	`incident_update_id` text,
	`old_status` text,
	`new_status` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`incident_update_id`) REFERENCES `incident_updates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_components_incident_idx` ON `incident_components` (`incident_id`);--> statement-breakpoint
CREATE INDEX `incident_components_component_idx` ON `incident_components` (`component_id`);--> statement-breakpoint
CREATE INDEX `incident_components_update_idx` ON `incident_components` (`incident_update_id`);--> statement-breakpoint
CREATE TABLE `incident_updates` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`display_at` integer,
	`deliver_notifications` integer DEFAULT true,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_updates_incident_idx` ON `incident_updates` (`incident_id`,`display_at`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`page_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`impact` text NOT NULL,
	`impact_override` text,
	`scheduled_for` integer,
	`scheduled_until` integer,
	`started_at` integer,
	`monitoring_at` integer,
	`resolved_at` integer,
	`backfilled` integer DEFAULT false,
	`metadata` text,
	`postmortem_body` text,
	`postmortem_published_at` integer,
	`scheduled_remind_prior` integer DEFAULT false,
	`scheduled_reminded_at` integer,
	`scheduled_auto_in_progress` integer DEFAULT false,
	`scheduled_auto_completed` integer DEFAULT false,
	`auto_transition_to_maintenance_state` integer DEFAULT false,
	`auto_transition_to_operational_state` integer DEFAULT false,
	`auto_transition_deliver_notifications_at_start` integer DEFAULT false,
	`auto_transition_deliver_notifications_at_end` integer DEFAULT false,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`page_id`) REFERENCES `pages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incidents_page_idx` ON `incidents` (`page_id`);--> statement-breakpoint
CREATE INDEX `incidents_status_idx` ON `incidents` (`status`);--> statement-breakpoint
CREATE INDEX `incidents_page_created_idx` ON `incidents` (`page_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `pages` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`subdomain` text NOT NULL,
	`custom_domain` text,
	`url` text,
	`status_indicator` text DEFAULT 'none',
	`status_description` text DEFAULT 'All Systems Operational',
	`timezone` text DEFAULT 'UTC',
	`allow_page_subscribers` integer DEFAULT true,
	`allow_incident_subscribers` integer DEFAULT true,
	`allow_webhook_subscribers` integer DEFAULT true,
	`allow_rss_atom_feeds` integer DEFAULT true,
	`hidden_from_search` integer DEFAULT false,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pages_subdomain_unique` ON `pages` (`subdomain`);--> statement-breakpoint
CREATE UNIQUE INDEX `pages_custom_domain_unique` ON `pages` (`custom_domain`);--> statement-breakpoint
CREATE INDEX `pages_subdomain_idx` ON `pages` (`subdomain`);--> statement-breakpoint
CREATE INDEX `pages_org_idx` ON `pages` (`org_id`);--> statement-breakpoint
CREATE TABLE `devices` (
	`id` text NOT NULL,
	`app_id` text NOT NULL,
	`platform` text NOT NULL,
	`os_version` text,
	`device_model` text,
	`app_version` text NOT NULL,
	`current_bundle_version` text,
	`current_bundle_hash` text,
	`current_release_id` text,
	`last_seen_at` integer,
	`crash_count` integer DEFAULT 0,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `id`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `devices_app_idx` ON `devices` (`app_id`);--> statement-breakpoint
CREATE INDEX `devices_last_seen_idx` ON `devices` (`last_seen_at`);--> statement-breakpoint
CREATE INDEX `devices_release_idx` ON `devices` (`current_release_id`);--> statement-breakpoint
CREATE TABLE `release_stats` (
	`release_id` text PRIMARY KEY NOT NULL,
	`total_downloads` integer DEFAULT 0,
	`total_installs` integer DEFAULT 0,
	`total_rollbacks` integer DEFAULT 0,
	`total_crashes` integer DEFAULT 0,
	`total_failures` integer DEFAULT 0,
	`last_updated_at` integer NOT NULL,
	FOREIGN KEY (`release_id`) REFERENCES `releases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `telemetry_events` (
	`id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`app_id` text NOT NULL,
	`event_type` text NOT NULL,
	`release_id` text,
	`bundle_version` text,
	`error_code` text,
	`error_message` text,
	`metadata` text,
	`timestamp` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `telemetry_app_idx` ON `telemetry_events` (`app_id`);--> statement-breakpoint
CREATE INDEX `telemetry_device_idx` ON `telemetry_events` (`device_id`);--> statement-breakpoint
CREATE INDEX `telemetry_event_type_idx` ON `telemetry_events` (`event_type`);--> statement-breakpoint
CREATE INDEX `telemetry_timestamp_idx` ON `telemetry_events` (`timestamp`);--> statement-breakpoint
CREATE INDEX `telemetry_release_timestamp_idx` ON `telemetry_events` (`release_id`,`timestamp`);