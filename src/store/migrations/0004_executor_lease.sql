ALTER TABLE "change_requests" ADD COLUMN "executor" text;--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "heartbeat_at" timestamp with time zone;