CREATE INDEX "messages_updated_at_idx" ON "messages" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "processed_events_received_idx" ON "processed_events" USING btree ("received_at");