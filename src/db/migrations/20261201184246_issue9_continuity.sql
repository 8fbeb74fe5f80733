ALTER TABLE "sis_raw_classes" ADD COLUMN "matched_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_raw_courses" ADD COLUMN "matched_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_courses" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ADD COLUMN "matched_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ADD COLUMN "matched_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_raw_terms" ADD COLUMN "matched_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_raw_terms" ADD COLUMN "matched_by" text;