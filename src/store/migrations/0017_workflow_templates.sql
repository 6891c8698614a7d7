CREATE TABLE "workflow_templates" (
	"workspace_id" text NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"uploaded_by_key" text NOT NULL,
	"uploaded_by" jsonb NOT NULL,
	"uploaded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "workflow_templates_workspace_id_name_version_pk" PRIMARY KEY("workspace_id","name","version")
);
