CREATE TABLE "change_freezes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"environment" text NOT NULL,
	"reason" text,
	"created_by" jsonb NOT NULL,
	"conversation" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" jsonb
);
--> statement-breakpoint
CREATE TABLE "role_grants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"user_id" text NOT NULL,
	"surface" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"reason" text,
	"granted_by" jsonb NOT NULL,
	"conversation" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by" jsonb,
	"end_reason" text
);
--> statement-breakpoint
ALTER TABLE "change_requests" ADD COLUMN "override" jsonb;--> statement-breakpoint
CREATE INDEX "change_freezes_active_idx" ON "change_freezes" USING btree ("workspace_id","ends_at");--> statement-breakpoint
CREATE UNIQUE INDEX "role_grants_open_idx" ON "role_grants" USING btree ("workspace_id","user_id") WHERE "role_grants"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "role_grants_due_idx" ON "role_grants" USING btree ("expires_at");