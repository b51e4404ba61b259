-- migrate:up
-- Downloads of windows opened from now on are counted by PostgreSQL, in the statement that records
-- them (db/links.ts, countDownloads): the row is the count's authority and the window's workflow
-- keeps only its deadline and its end. Windows already open were opened with a workflow that counts
-- them, and keep it until they end: the column says which is which, true for every row here now and
-- false for every row written after.
ALTER TABLE download_links ADD COLUMN counted_by_workflow boolean NOT NULL DEFAULT true;
ALTER TABLE download_links ALTER COLUMN counted_by_workflow SET DEFAULT false;

-- migrate:down
ALTER TABLE download_links DROP COLUMN counted_by_workflow;
