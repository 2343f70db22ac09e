BEGIN;
--
-- Add field disagreement_fields to review
--
ALTER TABLE "findings_review" ADD COLUMN "disagreement_fields" jsonb DEFAULT '[]'::jsonb NOT NULL;
ALTER TABLE "findings_review" ALTER COLUMN "disagreement_fields" DROP DEFAULT;
COMMIT;
