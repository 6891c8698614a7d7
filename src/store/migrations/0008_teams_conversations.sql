CREATE TABLE "teams_conversations" (
	"conversation_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"conversation_type" text NOT NULL,
	"service_url" text NOT NULL,
	"reference" jsonb NOT NULL,
	"removed_at" timestamp with time zone,
	"removed_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "teams_conversations_tenant_idx" ON "teams_conversations" USING btree ("tenant_id");