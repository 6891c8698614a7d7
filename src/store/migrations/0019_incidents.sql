CREATE TABLE "incident_events" (
	"incident_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"actor" text,
	"text" text NOT NULL,
	"change_id" text,
	"origin" text NOT NULL,
	CONSTRAINT "incident_events_incident_id_seq_pk" PRIMARY KEY("incident_id","seq")
);
--> statement-breakpoint
CREATE TABLE "incident_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"event_id" text NOT NULL,
	"signal" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "incident_user_emails" (
	"surface" text NOT NULL,
	"workspace_id" text NOT NULL,
	"user_id" text NOT NULL,
	"email" text NOT NULL,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone NOT NULL,
	CONSTRAINT "incident_user_emails_surface_workspace_id_user_id_pk" PRIMARY KEY("surface","workspace_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" serial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"number" integer NOT NULL,
	"source" text NOT NULL,
	"external_id" text NOT NULL,
	"external_number" integer,
	"title" text NOT NULL,
	"service" text NOT NULL,
	"service_id" text,
	"urgency" text NOT NULL,
	"status" text NOT NULL,
	"status_at" timestamp with time zone NOT NULL,
	"environment" text,
	"html_url" text,
	"labels" jsonb NOT NULL,
	"resources" jsonb NOT NULL,
	"assignees" jsonb NOT NULL,
	"escalation_level" integer,
	"channel" jsonb NOT NULL,
	"thread" jsonb,
	"thread_claimed_by" text,
	"thread_claimed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"shown_version" integer DEFAULT 0 NOT NULL,
	"diagnosis" jsonb,
	"repeats" integer DEFAULT 0 NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"cause" jsonb,
	"cause_by" text,
	"cause_at" timestamp with time zone,
	"grade" text,
	"grade_category" text,
	"summary" jsonb,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "incident_inbox_event" ON "incident_inbox" USING btree ("source","event_id");--> statement-breakpoint
CREATE INDEX "incident_inbox_pending" ON "incident_inbox" USING btree ("processed_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_external" ON "incidents" USING btree ("workspace_id","source","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_number" ON "incidents" USING btree ("workspace_id","number");--> statement-breakpoint
CREATE INDEX "incidents_status" ON "incidents" USING btree ("workspace_id","status","opened_at");