ALTER TABLE "inventory_sources" ADD COLUMN "listing_id" text;--> statement-breakpoint
ALTER TABLE "inventory_sources" ADD COLUMN "listing_until" timestamp with time zone;