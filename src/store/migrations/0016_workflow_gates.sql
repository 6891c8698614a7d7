CREATE TABLE "gate_approvals" (
	"change_id" text NOT NULL,
	"step" text NOT NULL,
	"approver_key" text NOT NULL,
	"approver" jsonb NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "gate_approvals_change_id_step_approver_key_pk" PRIMARY KEY("change_id","step","approver_key")
);
--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "gate_step" text;--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "gate_deadline" timestamp with time zone;