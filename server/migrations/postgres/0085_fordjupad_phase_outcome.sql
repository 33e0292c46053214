-- The end state an assessment in the scale's top phase records (self_sufficient,
-- sa_ae_granted, all_paths_exhausted); NULL for every other phase.
ALTER TABLE fordjupad_phases ADD COLUMN outcome TEXT;
