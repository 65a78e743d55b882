ALTER TABLE `pages` ADD `custom_domain_pending` text;
