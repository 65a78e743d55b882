ALTER TABLE `telemetry_events` ADD `ingest_batch` text;--> statement-breakpoint
CREATE INDEX `telemetry_ingest_batch_idx` ON `telemetry_events` (`ingest_batch`);
