CREATE TABLE "resource_metric_series" (
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"resource_id" text NOT NULL,
	"metric" text NOT NULL,
	"days" text NOT NULL,
	CONSTRAINT "resource_metric_series_provider_account_resource_id_metric_pk" PRIMARY KEY("provider","account","resource_id","metric")
);
--> statement-breakpoint
DROP INDEX "findings_open_idx";--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "first_scan_id" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A finding's `new` event becomes its first scan (src/scans/schema.ts): the events written so far
-- give it, and the rows go.
UPDATE "findings" f SET "first_scan_id" = e."scan_id"
FROM (SELECT "workspace_id", "finding_id", min("scan_id") AS "scan_id" FROM "finding_events" WHERE "kind" = 'new'
  GROUP BY "workspace_id", "finding_id") e
WHERE e."workspace_id" = f."workspace_id" AND e."finding_id" = f."id";--> statement-breakpoint
DELETE FROM "finding_events" WHERE "kind" = 'new';--> statement-breakpoint
CREATE VIEW "finding_history" AS
  SELECT "workspace_id", "id" AS "finding_id", "first_scan_id" AS "scan_id", 'new'::text AS "kind", "first_seen_at" AS "at"
  FROM "findings" WHERE "first_scan_id" <> 0
  UNION ALL
  SELECT "workspace_id", "finding_id", "scan_id", "kind", "at" FROM "finding_events";--> statement-breakpoint
-- Fill the series from the daily rows already stored: their last 92 days (metricSeriesDays), in day order.
INSERT INTO "resource_metric_series" ("provider", "account", "resource_id", "metric", "days")
SELECT "provider", "account", "resource_id", "metric",
	string_agg("day" || ' ' || "avg" || ' ' || "max", ' ' ORDER BY "day")
FROM "resource_metrics"
WHERE "day" >= to_char((now() AT TIME ZONE 'utc')::date - 92, 'YYYY-MM-DD')
GROUP BY "provider", "account", "resource_id", "metric";
