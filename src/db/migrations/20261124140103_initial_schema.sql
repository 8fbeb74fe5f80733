CREATE TABLE "sis_providers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_type" text NOT NULL,
	"name" text NOT NULL,
	"config_ciphertext" text NOT NULL,
	"config_key_id" text NOT NULL,
	"sync_schedule" text,
	"sync_timezone" text DEFAULT 'UTC' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"max_deactivation_ratio" double precision DEFAULT 0.1 NOT NULL,
	"last_sync_at" timestamp with time zone,
	"last_sync_status" text,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "sis_providers_type_check" CHECK ("sis_providers"."provider_type" IN ('CLEVER', 'CLASSLINK', 'ONEROSTER_API', 'ONEROSTER_CSV')),
	CONSTRAINT "sis_providers_ratio_check" CHECK ("sis_providers"."max_deactivation_ratio" >= 0 AND "sis_providers"."max_deactivation_ratio" <= 1),
	CONSTRAINT "sis_providers_last_status_check" CHECK ("sis_providers"."last_sync_status" IS NULL OR "sis_providers"."last_sync_status" IN ('PENDING', 'IN_PROGRESS', 'HELD', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'DISCARDED'))
);
--> statement-breakpoint
CREATE TABLE "classes" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"title" text NOT NULL,
	"class_code" text,
	"class_type" text DEFAULT 'scheduled' NOT NULL,
	"location" text,
	"grades" text[] DEFAULT '{}'::text[] NOT NULL,
	"subjects" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"periods" text[] DEFAULT '{}'::text[] NOT NULL,
	"course_id" uuid,
	"school_id" uuid,
	"term_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	CONSTRAINT "classes_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "courses" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"title" text NOT NULL,
	"course_code" text,
	"grades" text[] DEFAULT '{}'::text[] NOT NULL,
	"subjects" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"school_id" uuid,
	"school_year_term_id" uuid,
	CONSTRAINT "courses_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "enrollments" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"class_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"school_id" uuid,
	"role" text NOT NULL,
	"is_primary" boolean DEFAULT false NOT NULL,
	"begin_date" date,
	"end_date" date,
	CONSTRAINT "enrollments_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "schools" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"name" text NOT NULL,
	"identifier" text,
	"org_type" text DEFAULT 'school' NOT NULL,
	"parent_id" uuid,
	CONSTRAINT "schools_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "sis_external_links" (
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"entity_type" text NOT NULL,
	"external_id" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"matched_by" text NOT NULL,
	"content_hash" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"first_seen_run_id" uuid,
	"last_seen_run_id" uuid,
	"missing_runs" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "sis_external_links_pk" PRIMARY KEY("tenant_id","provider_id","entity_type","external_id"),
	CONSTRAINT "sis_external_links_entity_type_check" CHECK ("sis_external_links"."entity_type" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments')),
	CONSTRAINT "sis_external_links_matched_by_check" CHECK ("sis_external_links"."matched_by" IN ('external_id', 'email', 'student_number', 'created'))
);
--> statement-breakpoint
CREATE TABLE "terms" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"title" text NOT NULL,
	"term_type" text NOT NULL,
	"start_date" date,
	"end_date" date,
	"school_year" integer,
	"parent_id" uuid,
	CONSTRAINT "terms_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "user_relationships" (
	"tenant_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"related_user_id" uuid NOT NULL,
	"relationship" text DEFAULT 'guardian' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_relationships_pk" PRIMARY KEY("tenant_id","user_id","related_user_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"role" text NOT NULL,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"username" text,
	"given_name" text DEFAULT '' NOT NULL,
	"family_name" text DEFAULT '' NOT NULL,
	"middle_name" text,
	"email" text,
	"identifier" text,
	"sms" text,
	"phone" text,
	"grades" text[] DEFAULT '{}'::text[] NOT NULL,
	"school_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	CONSTRAINT "users_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "sis_sync_run_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sis_sync_run_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"entity" text NOT NULL,
	"kind" text NOT NULL,
	"entity_id" uuid,
	"external_id" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sis_sync_run_changes_kind_check" CHECK ("sis_sync_run_changes"."kind" IN ('created', 'updated', 'deactivated', 'reactivated')),
	CONSTRAINT "sis_sync_run_changes_entity_check" CHECK ("sis_sync_run_changes"."entity" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
CREATE TABLE "sis_sync_run_errors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sis_sync_run_errors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"entity" text,
	"external_id" text,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"field" text,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sis_sync_run_errors_entity_check" CHECK ("sis_sync_run_errors"."entity" IS NULL OR "sis_sync_run_errors"."entity" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
CREATE TABLE "sis_sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"trigger" text NOT NULL,
	"triggered_by" text,
	"dry_run" boolean DEFAULT false NOT NULL,
	"phase" text,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"incomplete_entities" text[] DEFAULT '{}'::text[] NOT NULL,
	"checkpoint" jsonb,
	"held_reason" jsonb,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"source_info" jsonb,
	"error_code" text,
	"error_message" text,
	"worker_id" text,
	"heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "sis_sync_runs_status_check" CHECK ("sis_sync_runs"."status" IN ('PENDING', 'IN_PROGRESS', 'HELD', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'DISCARDED')),
	CONSTRAINT "sis_sync_runs_trigger_check" CHECK ("sis_sync_runs"."trigger" IN ('SCHEDULE', 'MANUAL', 'CLI'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_classes" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"course_external_id" text,
	"school_external_id" text,
	"term_external_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "sis_raw_classes_status_check" CHECK ("sis_raw_classes"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_courses" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"school_external_id" text,
	"school_year_external_id" text,
	CONSTRAINT "sis_raw_courses_status_check" CHECK ("sis_raw_courses"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_enrollments" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"class_external_id" text,
	"user_external_id" text,
	"school_external_id" text,
	CONSTRAINT "sis_raw_enrollments_status_check" CHECK ("sis_raw_enrollments"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_schools" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"parent_external_id" text,
	CONSTRAINT "sis_raw_schools_status_check" CHECK ("sis_raw_schools"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_terms" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"parent_external_id" text,
	CONSTRAINT "sis_raw_terms_status_check" CHECK ("sis_raw_terms"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "sis_raw_users" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"raw" jsonb,
	"invalid" boolean DEFAULT false NOT NULL,
	"source_file" text,
	"source_line" integer,
	"source_page" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"email" text,
	"student_number" text,
	"username" text,
	"role" text,
	"school_external_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "sis_raw_users_status_check" CHECK ("sis_raw_users"."status" IN ('active', 'tobedeleted'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text,
	"actor" text NOT NULL,
	"actor_roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_log_action_format" CHECK ("audit_log"."action" ~ '^[a-z_]+\.[a-z_]+$')
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sis_providers" ADD CONSTRAINT "sis_providers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classes" ADD CONSTRAINT "classes_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classes" ADD CONSTRAINT "classes_course_fk" FOREIGN KEY ("tenant_id","course_id") REFERENCES "public"."courses"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "classes" ADD CONSTRAINT "classes_school_fk" FOREIGN KEY ("tenant_id","school_id") REFERENCES "public"."schools"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_school_fk" FOREIGN KEY ("tenant_id","school_id") REFERENCES "public"."schools"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_class_fk" FOREIGN KEY ("tenant_id","class_id") REFERENCES "public"."classes"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_user_fk" FOREIGN KEY ("tenant_id","user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schools" ADD CONSTRAINT "schools_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_external_links" ADD CONSTRAINT "sis_external_links_provider_id_sis_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."sis_providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms" ADD CONSTRAINT "terms_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_relationships" ADD CONSTRAINT "user_relationships_user_fk" FOREIGN KEY ("tenant_id","user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_relationships" ADD CONSTRAINT "user_relationships_related_fk" FOREIGN KEY ("tenant_id","related_user_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_sync_run_changes" ADD CONSTRAINT "sis_sync_run_changes_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_sync_run_errors" ADD CONSTRAINT "sis_sync_run_errors_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_sync_runs" ADD CONSTRAINT "sis_sync_runs_provider_id_sis_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."sis_providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ADD CONSTRAINT "sis_raw_classes_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_courses" ADD CONSTRAINT "sis_raw_courses_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ADD CONSTRAINT "sis_raw_enrollments_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ADD CONSTRAINT "sis_raw_schools_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_terms" ADD CONSTRAINT "sis_raw_terms_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ADD CONSTRAINT "sis_raw_users_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sis_providers_tenant_idx" ON "sis_providers" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sis_providers_tenant_name_uq" ON "sis_providers" USING btree ("tenant_id",lower("name")) WHERE "sis_providers"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "classes_school_idx" ON "classes" USING btree ("tenant_id","school_id");--> statement-breakpoint
CREATE INDEX "enrollments_class_idx" ON "enrollments" USING btree ("tenant_id","class_id");--> statement-breakpoint
CREATE INDEX "enrollments_user_idx" ON "enrollments" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE INDEX "sis_external_links_entity_idx" ON "sis_external_links" USING btree ("tenant_id","entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree ("tenant_id",lower(btrim("email")));--> statement-breakpoint
CREATE INDEX "users_identifier_idx" ON "users" USING btree ("tenant_id","identifier");--> statement-breakpoint
CREATE INDEX "sis_sync_run_changes_run_idx" ON "sis_sync_run_changes" USING btree ("run_id","entity","kind","id");--> statement-breakpoint
CREATE INDEX "sis_sync_run_errors_run_idx" ON "sis_sync_run_errors" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "sis_sync_runs_provider_created_idx" ON "sis_sync_runs" USING btree ("provider_id","created_at");--> statement-breakpoint
CREATE INDEX "sis_sync_runs_tenant_created_idx" ON "sis_sync_runs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sis_sync_runs_one_active_uq" ON "sis_sync_runs" USING btree ("provider_id") WHERE "sis_sync_runs"."status" IN ('PENDING', 'IN_PROGRESS', 'HELD');--> statement-breakpoint
CREATE INDEX "sis_raw_classes_run_external_idx" ON "sis_raw_classes" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "sis_raw_courses_run_external_idx" ON "sis_raw_courses" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "sis_raw_enrollments_run_external_idx" ON "sis_raw_enrollments" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "sis_raw_schools_run_external_idx" ON "sis_raw_schools" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "sis_raw_terms_run_external_idx" ON "sis_raw_terms" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "sis_raw_users_run_external_idx" ON "sis_raw_users" USING btree ("run_id","external_id");--> statement-breakpoint
CREATE INDEX "audit_log_tenant_created_idx" ON "audit_log" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id");