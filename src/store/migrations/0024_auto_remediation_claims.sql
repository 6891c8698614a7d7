CREATE TABLE "auto_remediation_claims" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"rule" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "auto_remediation_claims_rule_idx" ON "auto_remediation_claims" USING btree ("workspace_id","rule","claimed_at");