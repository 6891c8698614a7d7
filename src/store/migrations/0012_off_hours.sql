CREATE TABLE "off_hours_runs" (
	"schedule_id" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"runner" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"instances" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "off_hours_runs_schedule_id_due_at_pk" PRIMARY KEY("schedule_id","due_at")
);
--> statement-breakpoint
CREATE TABLE "off_hours_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"resources" jsonb NOT NULL,
	"stop_time" text NOT NULL,
	"start_time" text NOT NULL,
	"days" text NOT NULL,
	"timezone" text NOT NULL,
	"status" text NOT NULL,
	"change_id" text,
	"requester_key" text NOT NULL,
	"requester_name" text NOT NULL,
	"saving_cents" integer NOT NULL,
	"finding_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"armed_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_run_kind" text,
	"last_run_summary" text,
	"reason" text
);
--> statement-breakpoint
CREATE INDEX "off_hours_schedules_workspace_idx" ON "off_hours_schedules" USING btree ("workspace_id","status");