CREATE TABLE "analytics_weekly_posts" (
	"conversation" text NOT NULL,
	"week" text NOT NULL,
	"runner" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"posted_at" timestamp with time zone,
	CONSTRAINT "analytics_weekly_posts_conversation_week_pk" PRIMARY KEY("conversation","week")
);
