CREATE TABLE "incident_deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"workspace_id" text NOT NULL,
	"incident_id" integer NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"dedup_key" text NOT NULL,
	"window_seq" integer NOT NULL,
	"window_key" text,
	"status" text NOT NULL,
	"urgency" text NOT NULL,
	"event" jsonb NOT NULL,
	"repeats" integer DEFAULT 0 NOT NULL,
	"reported_in" integer,
	"batch_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"held_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "incident_deliveries_window_key" ON "incident_deliveries" USING btree ("window_key");--> statement-breakpoint
CREATE INDEX "incident_deliveries_dedup" ON "incident_deliveries" USING btree ("dedup_key","window_seq");--> statement-breakpoint
CREATE INDEX "incident_deliveries_status_target" ON "incident_deliveries" USING btree ("status","target");--> statement-breakpoint
CREATE INDEX "incident_deliveries_incident" ON "incident_deliveries" USING btree ("workspace_id","incident_id");