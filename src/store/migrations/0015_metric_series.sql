CREATE TABLE "resource_metric_series" (
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"resource_id" text NOT NULL,
	"metric" text NOT NULL,
	"days" text NOT NULL,
	CONSTRAINT "resource_metric_series_provider_account_resource_id_metric_pk" PRIMARY KEY("provider","account","resource_id","metric")
);
--> statement-breakpoint
-- Fill the series from the daily rows already stored: their last 92 days (metricSeriesDays), in day order.
INSERT INTO "resource_metric_series" ("provider", "account", "resource_id", "metric", "days")
SELECT "provider", "account", "resource_id", "metric",
	string_agg("day" || ' ' || "avg" || ' ' || "max", ' ' ORDER BY "day")
FROM "resource_metrics"
WHERE "day" >= to_char((now() AT TIME ZONE 'utc')::date - 92, 'YYYY-MM-DD')
GROUP BY "provider", "account", "resource_id", "metric";
