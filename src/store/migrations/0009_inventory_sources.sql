CREATE TABLE "baseline_resources" (
	"baseline_id" integer NOT NULL,
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"fingerprint" jsonb NOT NULL,
	CONSTRAINT "baseline_resources_baseline_id_provider_account_id_pk" PRIMARY KEY("baseline_id","provider","account","id")
);
--> statement-breakpoint
CREATE TABLE "inventory_baselines" (
	"id" serial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory_sources" (
	"key" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"region" text NOT NULL,
	"label" text NOT NULL,
	"last_attempt_at" timestamp with time zone NOT NULL,
	"last_success_at" timestamp with time zone,
	"count" integer DEFAULT 0 NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"error" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"metrics_at" timestamp with time zone,
	"metrics_error" text
);
--> statement-breakpoint
CREATE TABLE "resource_metrics" (
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"resource_id" text NOT NULL,
	"metric" text NOT NULL,
	"day" text NOT NULL,
	"avg" double precision NOT NULL,
	"max" double precision NOT NULL,
	"unit" text NOT NULL,
	CONSTRAINT "resource_metrics_provider_account_resource_id_metric_day_pk" PRIMARY KEY("provider","account","resource_id","metric","day")
);
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "source" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "sync_id" text;--> statement-breakpoint
ALTER TABLE "baseline_resources" ADD CONSTRAINT "baseline_resources_baseline_id_inventory_baselines_id_fk" FOREIGN KEY ("baseline_id") REFERENCES "public"."inventory_baselines"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inventory_baselines_scope_idx" ON "inventory_baselines" USING btree ("scope","created_at");--> statement-breakpoint
CREATE INDEX "resource_metrics_day_idx" ON "resource_metrics" USING btree ("day");--> statement-breakpoint
CREATE INDEX "resources_source_idx" ON "resources" USING btree ("source");