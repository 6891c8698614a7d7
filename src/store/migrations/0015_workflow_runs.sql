CREATE TABLE "workflow_steps" (
	"change_id" text NOT NULL,
	"seq" integer NOT NULL,
	"step_index" integer NOT NULL,
	"step_id" text NOT NULL,
	"title" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"summary" text,
	"previous" jsonb,
	"outputs" jsonb NOT NULL,
	"error" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	CONSTRAINT "workflow_steps_change_id_seq_pk" PRIMARY KEY("change_id","seq")
);
--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "workflow" jsonb;--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "cancel_requested_at" timestamp with time zone;