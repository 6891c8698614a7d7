ALTER TABLE "inventory_sources" ADD COLUMN "listing_id" text;--> statement-breakpoint
ALTER TABLE "inventory_sources" ADD COLUMN "listing_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "resources_list_idx" ON "resources" USING btree ("type","environment","provider","name","id") WHERE "resources"."gone_at" is null;