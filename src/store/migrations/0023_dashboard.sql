CREATE TABLE "cost_snapshots" (
	"day" text NOT NULL,
	"provider" text NOT NULL,
	"monthly_cost_cents" double precision NOT NULL,
	"resources" integer NOT NULL,
	"unpriced" integer NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cost_snapshots_day_provider_pk" PRIMARY KEY("day","provider")
);
--> statement-breakpoint
CREATE INDEX "change_requests_workspace_idx" ON "change_requests" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "resources_cost_idx" ON "resources" USING btree ("monthly_cost_cents","provider","account","id") WHERE "resources"."gone_at" is null;