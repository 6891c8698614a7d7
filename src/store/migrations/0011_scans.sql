CREATE TABLE "finding_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"finding_id" text NOT NULL,
	"scan_id" integer NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"workspace_id" text NOT NULL,
	"id" text NOT NULL,
	"rule_id" text NOT NULL,
	"category" text NOT NULL,
	"severity" text NOT NULL,
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"region" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"resource_name" text NOT NULL,
	"environment" text NOT NULL,
	"tags" jsonb NOT NULL,
	"verdict" text NOT NULL,
	"detail" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"saving_cents" integer DEFAULT 0 NOT NULL,
	"fix_params" jsonb,
	"status" text NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"last_scan_id" integer NOT NULL,
	"suppression_id" integer,
	CONSTRAINT "findings_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "scan_results" (
	"scan_id" integer NOT NULL,
	"workspace_id" text NOT NULL,
	"id" text NOT NULL,
	"rule_id" text NOT NULL,
	"category" text NOT NULL,
	"severity" text NOT NULL,
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"region" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"resource_name" text NOT NULL,
	"environment" text NOT NULL,
	"tags" jsonb NOT NULL,
	"verdict" text NOT NULL,
	"detail" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"saving_cents" integer DEFAULT 0 NOT NULL,
	"fix_params" jsonb,
	CONSTRAINT "scan_results_scan_id_id_pk" PRIMARY KEY("scan_id","id")
);
--> statement-breakpoint
CREATE TABLE "scans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"category" text NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"started_by" text NOT NULL,
	"runner" text,
	"heartbeat_at" timestamp with time zone,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"resources" integer DEFAULT 0 NOT NULL,
	"evaluated" integer DEFAULT 0 NOT NULL,
	"new_findings" integer DEFAULT 0 NOT NULL,
	"resolved_findings" integer DEFAULT 0 NOT NULL,
	"open_findings" integer DEFAULT 0 NOT NULL,
	"error_findings" integer DEFAULT 0 NOT NULL,
	"open_saving_cents" integer DEFAULT 0 NOT NULL,
	"tally" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"scope" text NOT NULL,
	"finding_id" text,
	"rule_id" text,
	"tag_key" text,
	"tag_value" text,
	"provider" text,
	"account" text,
	"owner" text NOT NULL,
	"reason" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"removed_at" timestamp with time zone,
	"removed_by" text
);
--> statement-breakpoint
CREATE INDEX "finding_events_scan_idx" ON "finding_events" USING btree ("scan_id","kind");--> statement-breakpoint
CREATE INDEX "finding_events_finding_idx" ON "finding_events" USING btree ("workspace_id","finding_id");--> statement-breakpoint
CREATE INDEX "findings_open_idx" ON "findings" USING btree ("workspace_id","status","severity");--> statement-breakpoint
CREATE INDEX "findings_resource_idx" ON "findings" USING btree ("workspace_id","provider","account","resource_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scans_one_running_idx" ON "scans" USING btree ("workspace_id") WHERE "scans"."status" = 'running';--> statement-breakpoint
CREATE INDEX "scans_workspace_idx" ON "scans" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "suppressions_workspace_idx" ON "suppressions" USING btree ("workspace_id","expires_at");