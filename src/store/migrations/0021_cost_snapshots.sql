CREATE TABLE "cost_snapshots" (
	"day" text NOT NULL,
	"provider" text NOT NULL,
	"monthly_cost_cents" double precision NOT NULL,
	"resources" integer NOT NULL,
	"unpriced" integer NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cost_snapshots_day_provider_pk" PRIMARY KEY("day","provider")
);
