ALTER TABLE "sis_raw_users" RENAME COLUMN "student_number" TO "identifier";--> statement-breakpoint
ALTER TABLE "sis_sync_run_errors" ADD COLUMN "severity" text DEFAULT 'error' NOT NULL;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ADD COLUMN "agent_external_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ADD COLUMN "matched_user_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_sync_run_errors" ADD CONSTRAINT "sis_sync_run_errors_severity_check" CHECK ("sis_sync_run_errors"."severity" IN ('error', 'warning'));