CREATE TABLE "slack_enterprise_teams" (
	"team_id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "slack_installations" ALTER COLUMN "installation" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "slack_installations" ADD COLUMN "sealed_installation" text;