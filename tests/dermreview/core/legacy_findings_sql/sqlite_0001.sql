BEGIN;
--
-- Create model WorkerHeartbeat
--
CREATE TABLE "findings_workerheartbeat" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "worker" varchar(200) NOT NULL UNIQUE, "backend" varchar(20) NOT NULL, "model_id" varchar(200) NOT NULL, "model_revision" varchar(100) NOT NULL, "prompt_version" varchar(40) NOT NULL, "model_loaded" bool NOT NULL, "last_error" text NOT NULL, "last_seen" datetime NOT NULL);
--
-- Create model BlindFinding
--
CREATE TABLE "findings_blindfinding" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "created_at" datetime NOT NULL, "case_id" bigint NOT NULL REFERENCES "cases_case" ("id") DEFERRABLE INITIALLY DEFERRED, "reviewer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED);
--
-- Create model Draft
--
CREATE TABLE "findings_draft" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "model_id" varchar(200) NOT NULL, "model_revision" varchar(100) NOT NULL, "prompt_version" varchar(40) NOT NULL, "backend" varchar(20) NOT NULL, "status" varchar(24) NOT NULL, "raw_output" text NOT NULL, "failure_kind" varchar(24) NOT NULL, "failure_message" text NOT NULL, "attempts" smallint unsigned NOT NULL CHECK ("attempts" >= 0), "claim_token" varchar(64) NOT NULL, "queued_at" datetime NULL, "started_at" datetime NULL, "finished_at" datetime NULL, "queue_wait_ms" real NULL, "preprocess_ms" real NULL, "generate_ms" real NULL, "batch_size" smallint unsigned NULL CHECK ("batch_size" >= 0), "prompt_tokens" integer unsigned NULL CHECK ("prompt_tokens" >= 0), "output_tokens" integer unsigned NULL CHECK ("output_tokens" >= 0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "image_id" bigint NOT NULL REFERENCES "cases_lesionimage" ("id") DEFERRABLE INITIALLY DEFERRED);
--
-- Create model DraftingControl
--
CREATE TABLE "findings_draftingcontrol" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "enabled" bool NOT NULL, "reason" text NOT NULL, "changed_at" datetime NULL, "changed_by_id" bigint NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED);
--
-- Create model Review
--
CREATE TABLE "findings_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "version" integer unsigned NOT NULL CHECK ("version" >= 0), "round" smallint unsigned NOT NULL CHECK ("round" >= 0), "outcome" varchar(20) NOT NULL, "draft_snapshot" text NOT NULL CHECK ((JSON_VALID("draft_snapshot") OR "draft_snapshot" IS NULL)), "edited_fields" text NOT NULL CHECK ((JSON_VALID("edited_fields") OR "edited_fields" IS NULL)), "all_unchanged" bool NOT NULL, "rejection_reason" text NOT NULL, "attestation" text NOT NULL, "opened_at" datetime NOT NULL, "signed_at" datetime NOT NULL, "time_on_task_ms" integer unsigned NOT NULL CHECK ("time_on_task_ms" >= 0), "amendment_reason" text NOT NULL, "voided_at" datetime NULL, "scored_at" datetime NULL, "blind_finding_id" bigint NULL REFERENCES "findings_blindfinding" ("id") DEFERRABLE INITIALLY DEFERRED, "case_id" bigint NOT NULL REFERENCES "cases_case" ("id") DEFERRABLE INITIALLY DEFERRED, "draft_id" bigint NULL REFERENCES "findings_draft" ("id") DEFERRABLE INITIALLY DEFERRED, "reviewer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, "supersedes_id" bigint NULL REFERENCES "findings_review" ("id") DEFERRABLE INITIALLY DEFERRED, "voided_by_id" bigint NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED);
--
-- Create model AgreementScore
--
CREATE TABLE "findings_agreementscore" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "comparison" varchar(20) NOT NULL, "field" varchar(20) NOT NULL, "f1" real NOT NULL, "precision" real NOT NULL, "recall" real NOT NULL, "exact_match" bool NOT NULL, "scorer_model" varchar(200) NOT NULL, "scorer_num_layers" smallint unsigned NOT NULL CHECK ("scorer_num_layers" >= 0), "scorer_version" varchar(40) NOT NULL, "created_at" datetime NOT NULL, "review_id" bigint NOT NULL REFERENCES "findings_review" ("id") DEFERRABLE INITIALLY DEFERRED);
--
-- Create constraint blind_finding_once_per_reviewer on model blindfinding
--
CREATE TABLE "new__findings_blindfinding" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "created_at" datetime NOT NULL, "case_id" bigint NOT NULL REFERENCES "cases_case" ("id") DEFERRABLE INITIALLY DEFERRED, "reviewer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "blind_finding_once_per_reviewer" UNIQUE ("case_id", "reviewer_id"));
INSERT INTO "new__findings_blindfinding" ("id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "created_at", "case_id", "reviewer_id") SELECT "id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "created_at", "case_id", "reviewer_id" FROM "findings_blindfinding";
DROP TABLE "findings_blindfinding";
ALTER TABLE "new__findings_blindfinding" RENAME TO "findings_blindfinding";
CREATE INDEX "findings_draft_status_053262a5" ON "findings_draft" ("status");
CREATE INDEX "findings_draft_image_id_e2d94647" ON "findings_draft" ("image_id");
CREATE INDEX "findings_draftingcontrol_changed_by_id_88e94fe1" ON "findings_draftingcontrol" ("changed_by_id");
CREATE INDEX "findings_review_signed_at_a9ae4a2d" ON "findings_review" ("signed_at");
CREATE INDEX "findings_review_blind_finding_id_0a17ac3f" ON "findings_review" ("blind_finding_id");
CREATE INDEX "findings_review_case_id_d61b8dc9" ON "findings_review" ("case_id");
CREATE INDEX "findings_review_draft_id_873ccef4" ON "findings_review" ("draft_id");
CREATE INDEX "findings_review_reviewer_id_35b9252a" ON "findings_review" ("reviewer_id");
CREATE INDEX "findings_review_supersedes_id_3441ae1a" ON "findings_review" ("supersedes_id");
CREATE INDEX "findings_review_voided_by_id_b58b12d7" ON "findings_review" ("voided_by_id");
CREATE INDEX "findings_agreementscore_review_id_0f0f7761" ON "findings_agreementscore" ("review_id");
CREATE INDEX "findings_blindfinding_case_id_2ac7059d" ON "findings_blindfinding" ("case_id");
CREATE INDEX "findings_blindfinding_reviewer_id_11dd73e5" ON "findings_blindfinding" ("reviewer_id");
--
-- Create index findings_dr_status_12d4d6_idx on field(s) status, queued_at of model draft
--
CREATE INDEX "findings_dr_status_12d4d6_idx" ON "findings_draft" ("status", "queued_at");
--
-- Create constraint draft_unique_per_model on model draft
--
CREATE TABLE "new__findings_draft" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "model_id" varchar(200) NOT NULL, "model_revision" varchar(100) NOT NULL, "prompt_version" varchar(40) NOT NULL, "backend" varchar(20) NOT NULL, "status" varchar(24) NOT NULL, "raw_output" text NOT NULL, "failure_kind" varchar(24) NOT NULL, "failure_message" text NOT NULL, "attempts" smallint unsigned NOT NULL CHECK ("attempts" >= 0), "claim_token" varchar(64) NOT NULL, "queued_at" datetime NULL, "started_at" datetime NULL, "finished_at" datetime NULL, "queue_wait_ms" real NULL, "preprocess_ms" real NULL, "generate_ms" real NULL, "batch_size" smallint unsigned NULL CHECK ("batch_size" >= 0), "prompt_tokens" integer unsigned NULL CHECK ("prompt_tokens" >= 0), "output_tokens" integer unsigned NULL CHECK ("output_tokens" >= 0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "image_id" bigint NOT NULL REFERENCES "cases_lesionimage" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "draft_unique_per_model" UNIQUE ("image_id", "model_id", "model_revision", "prompt_version"));
INSERT INTO "new__findings_draft" ("id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "model_id", "model_revision", "prompt_version", "backend", "status", "raw_output", "failure_kind", "failure_message", "attempts", "claim_token", "queued_at", "started_at", "finished_at", "queue_wait_ms", "preprocess_ms", "generate_ms", "batch_size", "prompt_tokens", "output_tokens", "created_at", "updated_at", "image_id") SELECT "id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "model_id", "model_revision", "prompt_version", "backend", "status", "raw_output", "failure_kind", "failure_message", "attempts", "claim_token", "queued_at", "started_at", "finished_at", "queue_wait_ms", "preprocess_ms", "generate_ms", "batch_size", "prompt_tokens", "output_tokens", "created_at", "updated_at", "image_id" FROM "findings_draft";
DROP TABLE "findings_draft";
ALTER TABLE "new__findings_draft" RENAME TO "findings_draft";
CREATE INDEX "findings_draft_status_053262a5" ON "findings_draft" ("status");
CREATE INDEX "findings_draft_image_id_e2d94647" ON "findings_draft" ("image_id");
CREATE INDEX "findings_dr_status_12d4d6_idx" ON "findings_draft" ("status", "queued_at");
--
-- Create constraint draft_status_valid on model draft
--
CREATE TABLE "new__findings_draft" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "model_id" varchar(200) NOT NULL, "model_revision" varchar(100) NOT NULL, "prompt_version" varchar(40) NOT NULL, "backend" varchar(20) NOT NULL, "status" varchar(24) NOT NULL, "raw_output" text NOT NULL, "failure_kind" varchar(24) NOT NULL, "failure_message" text NOT NULL, "attempts" smallint unsigned NOT NULL CHECK ("attempts" >= 0), "claim_token" varchar(64) NOT NULL, "queued_at" datetime NULL, "started_at" datetime NULL, "finished_at" datetime NULL, "queue_wait_ms" real NULL, "preprocess_ms" real NULL, "generate_ms" real NULL, "batch_size" smallint unsigned NULL CHECK ("batch_size" >= 0), "prompt_tokens" integer unsigned NULL CHECK ("prompt_tokens" >= 0), "output_tokens" integer unsigned NULL CHECK ("output_tokens" >= 0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "image_id" bigint NOT NULL REFERENCES "cases_lesionimage" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "draft_unique_per_model" UNIQUE ("image_id", "model_id", "model_revision", "prompt_version"), CONSTRAINT "draft_status_valid" CHECK ("status" IN ('queued', 'running', 'ready', 'needs_manual_entry', 'failed')));
INSERT INTO "new__findings_draft" ("id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "model_id", "model_revision", "prompt_version", "backend", "status", "raw_output", "failure_kind", "failure_message", "attempts", "claim_token", "queued_at", "started_at", "finished_at", "queue_wait_ms", "preprocess_ms", "generate_ms", "batch_size", "prompt_tokens", "output_tokens", "created_at", "updated_at", "image_id") SELECT "id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "model_id", "model_revision", "prompt_version", "backend", "status", "raw_output", "failure_kind", "failure_message", "attempts", "claim_token", "queued_at", "started_at", "finished_at", "queue_wait_ms", "preprocess_ms", "generate_ms", "batch_size", "prompt_tokens", "output_tokens", "created_at", "updated_at", "image_id" FROM "findings_draft";
DROP TABLE "findings_draft";
ALTER TABLE "new__findings_draft" RENAME TO "findings_draft";
CREATE INDEX "findings_draft_status_053262a5" ON "findings_draft" ("status");
CREATE INDEX "findings_draft_image_id_e2d94647" ON "findings_draft" ("image_id");
CREATE INDEX "findings_dr_status_12d4d6_idx" ON "findings_draft" ("status", "queued_at");
--
-- Create index findings_re_reviewe_e72e4d_idx on field(s) reviewer, signed_at of model review
--
CREATE INDEX "findings_re_reviewe_e72e4d_idx" ON "findings_review" ("reviewer_id", "signed_at");
--
-- Create constraint review_one_per_round on model review
--
CREATE TABLE "new__findings_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "version" integer unsigned NOT NULL CHECK ("version" >= 0), "round" smallint unsigned NOT NULL CHECK ("round" >= 0), "outcome" varchar(20) NOT NULL, "draft_snapshot" text NOT NULL CHECK ((JSON_VALID("draft_snapshot") OR "draft_snapshot" IS NULL)), "edited_fields" text NOT NULL CHECK ((JSON_VALID("edited_fields") OR "edited_fields" IS NULL)), "all_unchanged" bool NOT NULL, "rejection_reason" text NOT NULL, "attestation" text NOT NULL, "opened_at" datetime NOT NULL, "signed_at" datetime NOT NULL, "time_on_task_ms" integer unsigned NOT NULL CHECK ("time_on_task_ms" >= 0), "amendment_reason" text NOT NULL, "voided_at" datetime NULL, "scored_at" datetime NULL, "blind_finding_id" bigint NULL REFERENCES "findings_blindfinding" ("id") DEFERRABLE INITIALLY DEFERRED, "case_id" bigint NOT NULL REFERENCES "cases_case" ("id") DEFERRABLE INITIALLY DEFERRED, "draft_id" bigint NULL REFERENCES "findings_draft" ("id") DEFERRABLE INITIALLY DEFERRED, "reviewer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, "voided_by_id" bigint NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, "supersedes_id" bigint NULL REFERENCES "findings_review" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "review_one_per_round" UNIQUE ("case_id", "version", "round"));
INSERT INTO "new__findings_review" ("id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "version", "round", "outcome", "draft_snapshot", "edited_fields", "all_unchanged", "rejection_reason", "attestation", "opened_at", "signed_at", "time_on_task_ms", "amendment_reason", "voided_at", "scored_at", "blind_finding_id", "case_id", "draft_id", "reviewer_id", "supersedes_id", "voided_by_id") SELECT "id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "version", "round", "outcome", "draft_snapshot", "edited_fields", "all_unchanged", "rejection_reason", "attestation", "opened_at", "signed_at", "time_on_task_ms", "amendment_reason", "voided_at", "scored_at", "blind_finding_id", "case_id", "draft_id", "reviewer_id", "supersedes_id", "voided_by_id" FROM "findings_review";
DROP TABLE "findings_review";
ALTER TABLE "new__findings_review" RENAME TO "findings_review";
CREATE INDEX "findings_review_signed_at_a9ae4a2d" ON "findings_review" ("signed_at");
CREATE INDEX "findings_review_blind_finding_id_0a17ac3f" ON "findings_review" ("blind_finding_id");
CREATE INDEX "findings_review_case_id_d61b8dc9" ON "findings_review" ("case_id");
CREATE INDEX "findings_review_draft_id_873ccef4" ON "findings_review" ("draft_id");
CREATE INDEX "findings_review_reviewer_id_35b9252a" ON "findings_review" ("reviewer_id");
CREATE INDEX "findings_review_voided_by_id_b58b12d7" ON "findings_review" ("voided_by_id");
CREATE INDEX "findings_review_supersedes_id_3441ae1a" ON "findings_review" ("supersedes_id");
CREATE INDEX "findings_re_reviewe_e72e4d_idx" ON "findings_review" ("reviewer_id", "signed_at");
--
-- Create constraint review_distinct_reviewers on model review
--
CREATE TABLE "new__findings_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "lesion_type" varchar(200) NOT NULL, "color" varchar(200) NOT NULL, "symmetry" varchar(200) NOT NULL, "borders" varchar(200) NOT NULL, "texture" varchar(200) NOT NULL, "summary" text NOT NULL, "version" integer unsigned NOT NULL CHECK ("version" >= 0), "round" smallint unsigned NOT NULL CHECK ("round" >= 0), "outcome" varchar(20) NOT NULL, "draft_snapshot" text NOT NULL CHECK ((JSON_VALID("draft_snapshot") OR "draft_snapshot" IS NULL)), "edited_fields" text NOT NULL CHECK ((JSON_VALID("edited_fields") OR "edited_fields" IS NULL)), "all_unchanged" bool NOT NULL, "rejection_reason" text NOT NULL, "attestation" text NOT NULL, "opened_at" datetime NOT NULL, "signed_at" datetime NOT NULL, "time_on_task_ms" integer unsigned NOT NULL CHECK ("time_on_task_ms" >= 0), "amendment_reason" text NOT NULL, "voided_at" datetime NULL, "scored_at" datetime NULL, "blind_finding_id" bigint NULL REFERENCES "findings_blindfinding" ("id") DEFERRABLE INITIALLY DEFERRED, "case_id" bigint NOT NULL REFERENCES "cases_case" ("id") DEFERRABLE INITIALLY DEFERRED, "draft_id" bigint NULL REFERENCES "findings_draft" ("id") DEFERRABLE INITIALLY DEFERRED, "reviewer_id" bigint NOT NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, "voided_by_id" bigint NULL REFERENCES "accounts_user" ("id") DEFERRABLE INITIALLY DEFERRED, "supersedes_id" bigint NULL REFERENCES "findings_review" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "review_one_per_round" UNIQUE ("case_id", "version", "round"), CONSTRAINT "review_distinct_reviewers" UNIQUE ("case_id", "version", "reviewer_id"));
INSERT INTO "new__findings_review" ("id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "version", "round", "outcome", "draft_snapshot", "edited_fields", "all_unchanged", "rejection_reason", "attestation", "opened_at", "signed_at", "time_on_task_ms", "amendment_reason", "voided_at", "scored_at", "blind_finding_id", "case_id", "draft_id", "reviewer_id", "supersedes_id", "voided_by_id") SELECT "id", "lesion_type", "color", "symmetry", "borders", "texture", "summary", "version", "round", "outcome", "draft_snapshot", "edited_fields", "all_unchanged", "rejection_reason", "attestation", "opened_at", "signed_at", "time_on_task_ms", "amendment_reason", "voided_at", "scored_at", "blind_finding_id", "case_id", "draft_id", "reviewer_id", "supersedes_id", "voided_by_id" FROM "findings_review";
DROP TABLE "findings_review";
ALTER TABLE "new__findings_review" RENAME TO "findings_review";
CREATE INDEX "findings_review_signed_at_a9ae4a2d" ON "findings_review" ("signed_at");
CREATE INDEX "findings_review_blind_finding_id_0a17ac3f" ON "findings_review" ("blind_finding_id");
CREATE INDEX "findings_review_case_id_d61b8dc9" ON "findings_review" ("case_id");
CREATE INDEX "findings_review_draft_id_873ccef4" ON "findings_review" ("draft_id");
CREATE INDEX "findings_review_reviewer_id_35b9252a" ON "findings_review" ("reviewer_id");
CREATE INDEX "findings_review_voided_by_id_b58b12d7" ON "findings_review" ("voided_by_id");
CREATE INDEX "findings_review_supersedes_id_3441ae1a" ON "findings_review" ("supersedes_id");
CREATE INDEX "findings_re_reviewe_e72e4d_idx" ON "findings_review" ("reviewer_id", "signed_at");
--
-- Create index findings_ag_compari_1f137c_idx on field(s) comparison, field, scorer_model of model agreementscore
--
CREATE INDEX "findings_ag_compari_1f137c_idx" ON "findings_agreementscore" ("comparison", "field", "scorer_model");
--
-- Create constraint agreement_unique_per_scorer on model agreementscore
--
CREATE TABLE "new__findings_agreementscore" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "comparison" varchar(20) NOT NULL, "field" varchar(20) NOT NULL, "f1" real NOT NULL, "precision" real NOT NULL, "recall" real NOT NULL, "exact_match" bool NOT NULL, "scorer_model" varchar(200) NOT NULL, "scorer_num_layers" smallint unsigned NOT NULL CHECK ("scorer_num_layers" >= 0), "scorer_version" varchar(40) NOT NULL, "created_at" datetime NOT NULL, "review_id" bigint NOT NULL REFERENCES "findings_review" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "agreement_unique_per_scorer" UNIQUE ("review_id", "comparison", "field", "scorer_model", "scorer_num_layers"));
INSERT INTO "new__findings_agreementscore" ("id", "comparison", "field", "f1", "precision", "recall", "exact_match", "scorer_model", "scorer_num_layers", "scorer_version", "created_at", "review_id") SELECT "id", "comparison", "field", "f1", "precision", "recall", "exact_match", "scorer_model", "scorer_num_layers", "scorer_version", "created_at", "review_id" FROM "findings_agreementscore";
DROP TABLE "findings_agreementscore";
ALTER TABLE "new__findings_agreementscore" RENAME TO "findings_agreementscore";
CREATE INDEX "findings_agreementscore_review_id_0f0f7761" ON "findings_agreementscore" ("review_id");
CREATE INDEX "findings_ag_compari_1f137c_idx" ON "findings_agreementscore" ("comparison", "field", "scorer_model");
COMMIT;
