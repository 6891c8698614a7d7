CREATE SEQUENCE "public"."change_request_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "users" (
	"workspace_id" text NOT NULL,
	"user_id" text NOT NULL,
	"surface" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"granted_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_workspace_id_user_id_pk" PRIMARY KEY("workspace_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" text PRIMARY KEY NOT NULL,
	"surface" text NOT NULL,
	"external_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"tier" text DEFAULT 'free' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"surface" text NOT NULL,
	"workspace_id" text NOT NULL,
	"ref" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"author" text NOT NULL,
	"actor_key" text,
	"text" text NOT NULL,
	"reply" jsonb,
	"visible_to" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"id" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"change_id" text NOT NULL,
	"approver_key" text NOT NULL,
	"approver" jsonb NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"actor_key" text,
	"subject" text,
	"data" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "change_cards" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"change_id" text NOT NULL,
	"surface" text NOT NULL,
	"conversation" jsonb NOT NULL,
	"message_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_requests" (
	"id" text PRIMARY KEY DEFAULT 'CR-' || nextval('change_request_seq') NOT NULL,
	"workspace_id" text NOT NULL,
	"status" text NOT NULL,
	"action" text NOT NULL,
	"target" jsonb NOT NULL,
	"resource_name" text NOT NULL,
	"environment" text NOT NULL,
	"params" jsonb NOT NULL,
	"summary" text NOT NULL,
	"blast_radius" text NOT NULL,
	"cost_delta_cents" integer NOT NULL,
	"rollback" jsonb,
	"rollback_of" text,
	"requester" jsonb NOT NULL,
	"requester_key" text NOT NULL,
	"conversation" jsonb NOT NULL,
	"policy" jsonb NOT NULL,
	"approvals_required" integer NOT NULL,
	"expires_at" timestamp with time zone,
	"decided_by" jsonb,
	"reason" text,
	"rollback_data" jsonb,
	"result" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"provider" text NOT NULL,
	"account" text NOT NULL,
	"id" text NOT NULL,
	"region" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"tags" jsonb NOT NULL,
	"environment" text NOT NULL,
	"monthly_cost_cents" integer NOT NULL,
	"attributes" jsonb NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"gone_at" timestamp with time zone,
	CONSTRAINT "resources_provider_account_id_pk" PRIMARY KEY("provider","account","id")
);
--> statement-breakpoint
CREATE INDEX "users_display_name_idx" ON "users" USING btree ("workspace_id","display_name");--> statement-breakpoint
CREATE INDEX "messages_conversation_idx" ON "messages" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "messages_updated_idx" ON "messages" USING btree ("conversation_id","updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_change_approver_idx" ON "approvals" USING btree ("change_id","approver_key");--> statement-breakpoint
CREATE INDEX "change_cards_change_idx" ON "change_cards" USING btree ("change_id");--> statement-breakpoint
CREATE INDEX "change_requests_status_idx" ON "change_requests" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "change_requests_requester_idx" ON "change_requests" USING btree ("requester_key","created_at");--> statement-breakpoint
CREATE INDEX "resources_type_env_idx" ON "resources" USING btree ("type","environment");--> statement-breakpoint
CREATE INDEX "resources_name_idx" ON "resources" USING btree ("name");